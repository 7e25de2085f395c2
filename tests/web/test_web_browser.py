"""The review page in a real browser: Playwright drives Debian's Chromium (headless) against
`chromatic review RUN --web` on a real run at its chords gate. A person plays a preview, A/Bs
two candidates, approves one with a label, rejects another, continues, and the page follows the
agent to the drums gate; review.yml on disk says what the page did. Two browsers deciding at
once leave a valid review.yml. Screenshots are kept (under the test's tmp dir, and in
$CHROMATIC_ARTIFACTS when set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from ruamel.yaml import YAML

from agents.decision_log import read_records
from agents.review import load_review_document, read_decisions
from agents.run_state import read_status
from agents.rundir import RunDir
from music.meter import Meter, bars_to_seconds
from render.synth import DEFAULT_TAIL_S
from tests.web.conftest import Served

CHROMIUM = Path(os.environ.get("CHROMATIC_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: One MP3 frame at 44.1 kHz: how far a decoder may place the end.
FRAME_S = 1152 / 44100

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.is_file(),
        reason=f"no Chromium at {CHROMIUM}: `apt-get install chromium` (make test installs it)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _open(browser: Browser, url: str) -> tuple[Page, list[str]]:
    """A page in a browser context of its own (its own cookies, as a second browser has),
    and the JavaScript errors it raises."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return page, errors


def _keep(page: Page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    folder = os.environ.get("CHROMATIC_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, Path(folder) / name)
    return shot


def _section_seconds(run: RunDir) -> float:
    """The chord phrase's length by the plan: what each chords preview lasts (plus its tail)."""
    import json

    plan = json.loads(run.plan.read_text(encoding="utf-8"))
    return bars_to_seconds(Meter.parse(plan["meter"]), plan["phrase_bars"], plan["bpm"])


def test_listen_approve_reject_continue_to_the_drums_gate(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    run = RunDir(served.run_dir)
    page, errors = _open(browser, served.url)
    assert page.url.endswith("/")  # the token moved from the address bar to a cookie
    expect(page.locator("body")).to_have_attribute("data-phase", "chords")
    cards = page.locator("article.card")
    expect(cards).to_have_count(3)

    # Play a preview: clicking its picture starts it there; it lasts the section and its tail.
    first = page.locator('article[data-id="chord_001"]')
    first.locator(".roll img").click()
    audio = first.locator("audio")
    expect(first).to_have_class("card status-pending playing")
    duration = audio.evaluate(
        "a => new Promise(done => a.readyState >= 1 ? done(a.duration)"
        " : a.addEventListener('loadedmetadata', () => done(a.duration)))"
    )
    assert duration == pytest.approx(_section_seconds(run) + DEFAULT_TAIL_S, abs=FRAME_S)
    page.wait_for_function(
        "() => { const a = document.querySelector('article[data-id=\"chord_001\"] audio');"
        " return !a.paused && a.currentTime > 0.2; }",
        timeout=0,
    )
    expect(first.locator(".playhead")).to_be_visible()
    first.locator("button.loop").click()
    assert audio.evaluate("a => a.loop") is True

    # A/B: the second candidate takes over at the same moment.
    second = page.locator('article[data-id="chord_002"]')
    first.locator("button.set-a").click()
    second.locator("button.set-b").click()
    page.keyboard.press("x")
    page.wait_for_function(
        "() => !document.querySelector('article[data-id=\"chord_002\"] audio').paused",
        timeout=0,
    )
    assert audio.evaluate("a => a.paused") is True
    assert second.locator("audio").evaluate("a => a.currentTime") > 0.2
    second.locator("audio").evaluate("a => a.pause()")

    # Approve one with a label, reject another with a note.
    second.locator("input[name=label]").fill("Verse")
    second.locator("button.approve").click()
    expect(second.locator(".msg")).to_have_text("approved as verse")
    expect(second.locator(".badge")).to_have_text("approved")
    first.locator("input[name=notes]").fill("too busy for a verse")
    first.locator("button.reject").click()
    expect(first.locator(".msg")).to_have_text("rejected")
    expect(page.locator("#continue")).to_be_enabled()
    expect(page.locator("#approved-count")).to_have_text("1")
    _keep(page, tmp_path, "review-page-chords.png")

    ids = ["chord_001", "chord_002", "chord_003"]
    decided = {d.candidate_id: d for d in read_decisions(run.review("chords"), known_ids=ids)}
    assert (decided["chord_002"].status, decided["chord_002"].label) == ("approved", "verse")
    assert (decided["chord_001"].status, decided["chord_001"].notes) == (
        "rejected",
        "too busy for a verse",
    )
    assert decided["chord_003"].status == "pending"

    # Continue: the agent resumes, the page shows its progress, then the drums gate.
    page.locator("#continue").click()
    expect(page.locator("#progress")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-phase", "drums", timeout=0)
    expect(page.locator("article.card").first).to_have_attribute("data-section", "verse")
    approved = page.locator("aside .approved")
    expect(approved).to_have_count(1)
    expect(approved).to_contain_text("chord_002")
    shot = _keep(page, tmp_path, "review-page-drums.png")
    assert shot.stat().st_size > 10_000
    assert errors == []

    outcome, values = read_status(run.root)
    assert (outcome.status, outcome.phase) == ("awaiting_review", "drums")
    assert values["phases"]["chords"]["approvals"] == {"verse": "chord_002"}
    assert run.approved_midi("chords", "verse").is_file()
    records = read_records(run.decision_log)
    assert [(r.candidate_id, r.status, r.source) for r in records] == [
        ("chord_002", "approved", "web"),
        ("chord_001", "rejected", "web"),
    ]


def _approve_together(choices: list[tuple[Page, str, str]]) -> list[str]:
    """In each page, approve a candidate with a label, all at the same moment (400 ms on);
    return what each card then says."""
    for page, cid, label in choices:
        page.locator(f'article[data-id="{cid}"] input[name=label]').fill(label)
    at = choices[0][0].evaluate("() => Date.now() + 400")
    for page, cid, _ in choices:
        selector = f'article[data-id="{cid}"] button.approve'
        page.evaluate(
            "([selector, at]) => {"
            " const button = document.querySelector(selector);"
            " button.closest('article').querySelector('.msg').textContent = '';"
            " setTimeout(() => button.click(), Math.max(0, at - Date.now())); }",
            [selector, at],
        )
    return [_settled(page, cid) for page, cid, _ in choices]


def _settled(page: Page, cid: str) -> str:
    message = page.locator(f'article[data-id="{cid}"] .msg')
    expect(message).not_to_have_text("", timeout=0)
    expect(message).not_to_have_text("saving…", timeout=0)
    return message.inner_text()


def test_two_browsers_deciding_at_once_leave_a_valid_review(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    run = RunDir(served.run_dir)
    ids = ["chord_001", "chord_002", "chord_003"]
    (one, errors_one), (two, errors_two) = _open(browser, served.url), _open(browser, served.url)
    said = _approve_together([(one, "chord_001", "verse"), (two, "chord_003", "chorus")])
    assert said == ["approved as verse", "approved as chorus"]
    decided = {d.candidate_id: d for d in read_decisions(run.review("chords"), known_ids=ids)}
    assert {c: (d.status, d.label) for c, d in decided.items()} == {
        "chord_001": ("approved", "verse"),
        "chord_002": ("pending", None),
        "chord_003": ("approved", "chorus"),
    }

    # Both reach for the same label at once: one gets it, the other the CLI's refusal.
    said = _approve_together([(one, "chord_002", "bridge"), (two, "chord_003", "bridge")])
    assert said.count("approved as bridge") == 1
    refusal = next(text for text in said if text != "approved as bridge")
    assert "two approved candidates may not share a label" in refusal
    final = read_decisions(run.review("chords"), known_ids=ids)
    assert [d.label for d in final if d.status == "approved"].count("bridge") == 1

    # A hand edit of review.yml is noticed, and a bad one shows the CLI's error on reload.
    path = run.review("chords")
    doc = load_review_document(path)
    doc["candidates"][1]["status"] = "maybe"
    with path.open("w", encoding="utf-8") as fh:
        YAML(typ="rt").dump(doc, fh)
    expect(one.locator("#changed")).to_be_visible(timeout=0)
    one.reload()
    expect(one.locator("#banner")).to_contain_text(f"{path}: candidates[chord_002].status: 'maybe'")
    expect(one.locator("#continue")).to_be_disabled()
    _keep(one, tmp_path, "review-page-error.png")
    assert errors_one == errors_two == []
