"""The review page's HTML: a Jinja2 template (``templates/review.html``, autoescaped: every
value from review.yml or the proposal is shown as text) filled from :class:`web.view.GateView`.
Score bars are small SVG rectangles, so the page needs no inline style (its
Content-Security-Policy allows none)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape

from web.pictures import DRUM_LEFT, RIGHT, ROLL_LEFT, WIDTH
from web.view import Bar, GateView, labels_of

TEMPLATES: Final = Path(__file__).resolve().parent / "templates"
#: Colours of the three modes of each chromatic axis in its stacked bar.
MODE_COLOURS: Final = ("#e8a33d", "#5fb3a1", "#8f7ad8")


def file_url(path: str) -> str:
    return "/file?" + urlencode({"path": path})


def picture_url(phase: str, candidate_id: str) -> str:
    return "/picture?" + urlencode({"phase": phase, "id": candidate_id})


def plot_span(phase: str) -> tuple[float, float]:
    """Where the picture's time axis starts and ends, as fractions of its width."""
    left = DRUM_LEFT if phase == "drums" else ROLL_LEFT
    return left / WIDTH, (WIDTH - RIGHT) / WIDTH


def stacked(bars: Sequence[Bar]) -> list[dict[str, Any]]:
    """Segments ``{name, value, x, width, colour}`` (x and width in % of the bar) of one
    chromatic axis, its modes side by side in proportion."""
    total = sum(b.value for b in bars) or 1.0
    out, x = [], 0.0
    for i, b in enumerate(bars):
        width = 100.0 * b.value / total
        colour = MODE_COLOURS[i % len(MODE_COLOURS)]
        out.append({"name": b.name, "value": b.value, "x": x, "width": width, "colour": colour})
        x += width
    return out


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score"] = _score
    env.globals.update(
        file_url=file_url, picture_url=picture_url, plot_span=plot_span, stacked=stacked
    )
    return env


_ENV: Final = _environment()

PHASE_TITLES: Final = {
    "chords": "Chords",
    "drums": "Drums",
    "bass": "Bass",
    "melody": "Melody",
}


def ready_text(*, error: str | None, not_ready: str | None) -> str:
    """The gate bar's line beside "continue" (the full error is in the banner above)."""
    if error:
        return "review.yml has an error (above): fix it here or in the file"
    if not_ready:
        return "approve a candidate with a section label to continue"
    return "ready: continue resumes the agent"


def render_page(view: GateView, *, job: dict[str, Any], token: str) -> str:
    """The whole page for ``view``; ``job``: the resume's progress (web.jobs.JobState)."""
    approved = sum(1 for c in view.candidates if c.status == "approved")
    return _ENV.get_template("review.html").render(
        view=view,
        job=job,
        token=token,
        approved_count=approved,
        labels=labels_of(view.candidates, view.labels),
        phase_title=PHASE_TITLES.get(view.phase or "", view.phase or ""),
        ready_text=ready_text(error=view.error, not_ready=view.not_ready),
    )
