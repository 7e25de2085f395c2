"""The review page's server on a real run at its chords gate: the token guards every read and
write, files come only from inside the run, bad requests get a 4xx with the error's text (never
a traceback), and a decision is the CLI's: same validation, same file, same error text, kept in
the decision log."""

from __future__ import annotations

import html
import json
import re
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from ruamel.yaml import YAML
from starlette.testclient import TestClient

from agents.decision_log import read_records
from agents.review import load_review_document, read_decisions
from agents.rundir import RunDir
from agents.runlock import run_lock
from tests.agents.run_fixtures import CLI
from tests.web.conftest import ROOT, TOKEN, Served, env

WRITE = {"X-Chromatic-Token": TOKEN}


def _login(client: TestClient) -> None:
    response = client.get(f"/?token={TOKEN}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "httponly" in response.headers["set-cookie"].lower()


def _approve(client: TestClient, cid: str, label: str, **extra: object) -> httpx.Response:
    payload = {"phase": "chords", "id": cid, "status": "approved", "label": label, **extra}
    return client.post("/api/decision", json=payload, headers=WRITE)


def _edit(run_dir: Path, cid: str, **fields: object) -> None:
    path = RunDir(run_dir).review("chords")
    doc = load_review_document(path)
    next(c for c in doc["candidates"] if c["id"] == cid).update(fields)
    with path.open("w", encoding="utf-8") as fh:
        YAML(typ="rt").dump(doc, fh)


def test_every_read_needs_the_token(client: TestClient) -> None:
    for url in (
        "/",
        "/file?path=chords/previews/chord_001.mp3",
        "/picture?phase=chords&id=chord_001",
    ):
        refused = client.get(url)
        assert refused.status_code == 403
        assert "session token" in refused.text
    assert client.get("/?token=wrong", follow_redirects=False).status_code == 403
    assert client.get("/api/state").json()["error"].startswith("this page needs its session token")
    _login(client)
    page = client.get("/")
    assert page.status_code == 200
    for cid in ("chord_001", "chord_002", "chord_003"):
        assert f'data-id="{cid}"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/review.js").status_code == 200


def test_a_write_without_the_token_header_is_refused_even_with_the_cookie(
    client: TestClient, run_dir: Path
) -> None:
    review = RunDir(run_dir).review("chords")
    before = review.read_bytes()
    _login(client)
    payload = {"phase": "chords", "id": "chord_001", "status": "approved", "label": "verse"}
    for headers in ({}, {"X-Chromatic-Token": "guess"}):
        for url in ("/api/decision", "/api/continue"):
            refused = client.post(url, json=payload, headers=headers)
            assert refused.status_code == 403
            assert "X-Chromatic-Token" in refused.json()["error"]
    assert review.read_bytes() == before
    assert read_records(RunDir(run_dir).decision_log) == []


def test_a_missing_preview_is_written_on_first_play(client: TestClient, run_dir: Path) -> None:
    """An auto-approved run leaves the unapproved candidates' previews to be written when
    first played: the page writes the one review.yml names, the same bytes as before."""
    _login(client)
    preview = RunDir(run_dir).preview("chords", "chord_002")
    made_at_the_gate = preview.read_bytes()
    preview.unlink()
    played = client.get("/file", params={"path": "chords/previews/chord_002.mp3"})
    assert played.status_code == 200 and played.headers["content-type"] == "audio/mpeg"
    assert played.content == made_at_the_gate == preview.read_bytes()


def test_files_come_only_from_inside_the_run(
    client: TestClient, run_dir: Path, tmp_path: Path
) -> None:
    _login(client)
    ok = client.get("/file", params={"path": "chords/previews/chord_001.mp3"})
    assert ok.status_code == 200 and ok.headers["content-type"] == "audio/mpeg"
    ranged = client.get(
        "/file", params={"path": "chords/previews/chord_001.mp3"}, headers={"Range": "bytes=0-99"}
    )
    assert ranged.status_code == 206 and len(ranged.content) == 100
    secret = tmp_path / "secret.mp3"
    secret.write_bytes(b"private")
    (run_dir / "chords" / "previews" / "leak.mp3").symlink_to(secret)
    refused = {
        "../../secret.mp3": 400,
        str(secret): 400,
        "chords/previews/leak.mp3": 403,
        "checkpoints.sqlite": 403,
        "proposal.yml": 403,
        "chords/previews/none.mp3": 404,
    }
    for path, status in refused.items():
        response = client.get("/file", params={"path": path})
        assert response.status_code == status, path
        assert response.text.startswith("path: ")
        assert b"private" not in response.content
    for query in ("phase=chords&id=../../x", "phase=chrods&id=chord_001", "phase=chords&id=nope"):
        picture = client.get(f"/picture?{query}")
        assert picture.status_code in (400, 404), query
    assert client.get("/picture?phase=chords&id=chord_001").headers["content-type"] == "image/png"


def _body(**fields: object) -> bytes:
    return json.dumps({"phase": "chords", "id": "chord_001", **fields}).encode()


JSON = "application/json"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        (b"{not json", JSON, 400, "body is not JSON"),
        (b"[1, 2]", JSON, 400, "request: "),
        (_body(), JSON, 400, "status"),
        (_body(status="ok"), JSON, 400, "status"),
        (_body(id=7, status="rejected"), JSON, 400, "id"),
        (_body(status="rejected", sneaky=1), JSON, 400, "sneaky"),
        (_body(status="rejected"), "text/plain", 415, "json"),
        (_body(phase="chrods", status="rejected"), JSON, 400, "did you mean chords"),
        (_body(id="chord_099", status="rejected"), JSON, 400, "chord_099"),
        (_body(status="approved", label="Verse 1!"), JSON, 400, "lower-case letters, digits"),
        (_body(phase="drums", id="verse_001", status="rejected"), JSON, 409, "chords gate"),
    ],
)
def test_a_malformed_request_is_a_4xx_with_the_reason(
    client: TestClient, run_dir: Path, body: bytes, content_type: str, status: int, says: str
) -> None:
    before = RunDir(run_dir).review("chords").read_bytes()
    response = client.post(
        "/api/decision", content=body, headers={**WRITE, "Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert says in error and "Traceback" not in error
    assert RunDir(run_dir).review("chords").read_bytes() == before


def test_an_oversized_body_or_a_foreign_host_is_refused(client: TestClient) -> None:
    big = client.post(
        "/api/decision",
        content=b'{"notes": "' + b"x" * 100_000 + b'"}',
        headers={**WRITE, "Content-Type": "application/json"},
    )
    assert big.status_code == 413
    rebound = client.get(f"/?token={TOKEN}", headers={"Host": "attacker.example"})
    assert rebound.status_code == 400


def test_a_decision_on_the_page_is_the_cli_s(client: TestClient, run_dir: Path) -> None:
    response = _approve(client, "chord_002", "Chorus", notes="lifts")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["decision"] == {
        "candidate_id": "chord_002",
        "status": "approved",
        "label": "chorus",
        "notes": "lifts",
    }
    _login(client)
    state = client.get("/api/state").json()
    assert (state["not_ready"], state["ready_text"]) == (None, "ready: continue resumes the agent")
    ids = ["chord_001", "chord_002", "chord_003"]
    on_disk = {
        d.candidate_id: d for d in read_decisions(RunDir(run_dir).review("chords"), known_ids=ids)
    }
    assert (on_disk["chord_002"].status, on_disk["chord_002"].label) == ("approved", "chorus")
    rejected = client.post(
        "/api/decision",
        json={"phase": "chords", "id": "chord_003", "status": "rejected", "notes": "flat"},
        headers=WRITE,
    )
    assert rejected.status_code == 200
    records = read_records(RunDir(run_dir).decision_log)
    assert [(r.candidate_id, r.status, r.source) for r in records] == [
        ("chord_002", "approved", "web"),
        ("chord_003", "rejected", "web"),
    ]


def test_a_refused_edit_shows_the_cli_s_error_text(client: TestClient, run_dir: Path) -> None:
    _edit(run_dir, "chord_002", status="maybe")
    page_error = _approve(client, "chord_001", "verse")
    assert page_error.status_code == 400
    done = subprocess.run(
        [*CLI, "approve", str(run_dir), "chords", "chord_001", "--label", "verse"],
        env={**env(), "COLUMNS": "200"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    cli_error = re.sub(r"\s+", " ", done.stderr.split("error:", 1)[1]).strip()
    assert page_error.json()["error"] == cli_error
    assert "candidates[chord_002].status: 'maybe'" in cli_error
    # The page shows the same text in its banner, and continue is refused with it.
    _login(client)
    banner = client.get("/").text.split('id="banner"', 1)[1].split("</div>", 1)[0]
    assert html.unescape(banner.split(">", 1)[1]) == page_error.json()["error"]
    blocked = client.post("/api/continue", json={"phase": "chords"}, headers=WRITE)
    assert blocked.status_code == 400 and blocked.json()["error"] == cli_error


def test_a_hand_edit_shows_on_reload(client: TestClient, run_dir: Path) -> None:
    _login(client)
    stamp = client.get("/api/state").json()["review_stamp"]
    _edit(run_dir, "chord_003", notes="edited by hand", status="rejected")
    state = client.get("/api/state").json()
    assert state["review_stamp"] != stamp
    page = client.get("/").text
    card = page.split('data-id="chord_003"', 1)[1].split("</article>", 1)[0]
    assert 'value="edited by hand"' in card and "status-rejected" in page


def test_continue_needs_an_approval_and_the_current_gate(client: TestClient, run_dir: Path) -> None:
    refused = client.post("/api/continue", json={"phase": "chords"}, headers=WRITE)
    assert refused.status_code == 400
    assert "no candidate approved" in refused.json()["error"]
    stale = client.post("/api/continue", json={"phase": "bass"}, headers=WRITE)
    assert stale.status_code == 409 and "at the chords gate" in stale.json()["error"]
    _login(client)
    assert client.get("/api/job").json()["state"] == "idle"


def test_a_write_while_another_process_holds_the_run_is_refused(
    client: TestClient, run_dir: Path
) -> None:
    with run_lock(run_dir, command="resume"):
        response = _approve(client, "chord_001", "verse")
    assert response.status_code == 409
    assert "in use by pid" in response.json()["error"]
    assert _approve(client, "chord_001", "verse").status_code == 200


def test_clients_deciding_at_once_leave_a_valid_review(served: Served) -> None:
    """Six clients at once on the real server: each keeps deciding its own candidate, and two
    race for one label; every write is taken whole, in turn."""
    headers = {"X-Chromatic-Token": served.token}
    plan = {
        "chord_001": {"status": "approved", "label": "verse"},
        "chord_002": {"status": "approved", "label": "chorus"},
        "chord_003": {"status": "rejected", "label": None},
    }
    start = threading.Barrier(6)
    results: dict[str, list[int]] = {}

    def decide(name: str, cid: str, decision: dict[str, object], times: int) -> None:
        with httpx.Client(base_url=served.base, headers=headers, timeout=None) as c:
            start.wait()
            results[name] = [
                c.post("/api/decision", json={"phase": "chords", "id": cid, **decision}).status_code
                for _ in range(times)
            ]

    threads = [
        threading.Thread(target=decide, args=(f"{cid}-{i}", cid, d, 3))
        for cid, d in plan.items()
        for i in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(code == 200 for codes in results.values() for code in codes), results
    ids = list(plan)
    decisions = read_decisions(RunDir(served.run_dir).review("chords"), known_ids=ids)
    assert {d.candidate_id: (d.status, d.label) for d in decisions} == {
        cid: (d["status"], d["label"]) for cid, d in plan.items()
    }
    assert len(read_records(RunDir(served.run_dir).decision_log)) == 18
    # Two clients racing for one label: one wins, the other gets the CLI's refusal.
    race = threading.Barrier(2)
    codes: dict[str, httpx.Response] = {}

    def take_bridge(cid: str) -> None:
        with httpx.Client(base_url=served.base, headers=headers, timeout=None) as c:
            race.wait()
            codes[cid] = c.post(
                "/api/decision",
                json={"phase": "chords", "id": cid, "status": "approved", "label": "bridge"},
            )

    racers = [
        threading.Thread(target=take_bridge, args=(cid,)) for cid in ("chord_001", "chord_003")
    ]
    for t in racers:
        t.start()
    for t in racers:
        t.join()
    assert sorted(r.status_code for r in codes.values()) == [200, 400]
    loser = next(r for r in codes.values() if r.status_code == 400)
    assert "two approved candidates may not share a label" in loser.json()["error"]
    final = read_decisions(RunDir(served.run_dir).review("chords"), known_ids=ids)
    assert [d.label for d in final if d.status == "approved"].count("bridge") == 1


def test_the_page_says_where_review_yml_calls_the_ranks_noise(
    client: TestClient, run_dir: Path
) -> None:
    _login(client)
    path = RunDir(run_dir).review("chords")
    doc = load_review_document(path)
    entry = doc["ranking"]["all"]  # written by the phase from its real final population
    shown = "Ranks of all:" in client.get("/").text
    assert shown is (entry["distinguishable"] is False)
    entry.update(distinguishable=False, note="the top 4 lie within 0.0030: noise")
    with path.open("w", encoding="utf-8") as fh:
        YAML(typ="rt").dump(doc, fh)
    assert "Ranks of all: the top 4 lie within 0.0030: noise" in client.get("/").text
