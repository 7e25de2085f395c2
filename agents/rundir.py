"""The run directory of one song: where every file of a run lives (DESIGN §4).

Every path is built here from fixed names and validated labels/ids, so nothing taken from a
proposal or a review.yml can point outside the run directory.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from agents.errors import RunStateError
from music.errors import InputError

SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PHASES = ("chords", "drums", "bass", "melody")
#: A candidate preview's file suffix (see :meth:`RunDir.preview`).
PREVIEW_SUFFIX = ".mp3"


def check_safe_name(name: str, *, what: str) -> str:
    """Labels and candidate ids become file names: lower-case letters, digits, _ and -."""
    if not SAFE_NAME.match(name):
        raise ValueError(
            f"{what}: {name!r} -- lower-case letters, digits, '_' or '-', starting with a letter "
            "or digit, at most 64 characters (e.g. verse, chorus, bridge_2)"
        )
    return name


def check_phase(phase: str) -> str:
    """``phase`` if it is one of :data:`PHASES`; else InputError listing them (and the
    nearest one, for a typo such as ``chrods``)."""
    if phase in PHASES:
        return phase
    near = difflib.get_close_matches(str(phase).lower(), PHASES, n=1)
    hint = f" (did you mean {near[0]}?)" if near else ""
    raise InputError(
        file=None, field="phase", value=phase, allowed=f"one of {', '.join(PHASES)}{hint}"
    )


@dataclass(frozen=True, slots=True)
class RunDir:
    root: Path

    @property
    def proposal(self) -> Path:
        return self.root / "proposal.yml"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints.sqlite"

    @property
    def plan(self) -> Path:
        return self.root / "plan.json"

    def phase(self, phase: str) -> Path:
        return self.root / check_phase(phase)

    def review(self, phase: str) -> Path:
        return self.phase(phase) / "review.yml"

    def candidates(self, phase: str) -> Path:
        return self.phase(phase) / "candidates"

    def candidate_midi(self, phase: str, candidate_id: str) -> Path:
        return self.candidates(phase) / f"{check_safe_name(candidate_id, what='id')}.mid"

    def candidate_data(self, phase: str, candidate_id: str) -> Path:
        """The candidate's genome as JSON, beside its MIDI (later phases build on it)."""
        return self.candidates(phase) / f"{check_safe_name(candidate_id, what='id')}.json"

    def approved_data(self, phase: str, label: str) -> Path:
        return self.approved(phase) / f"{check_safe_name(label, what='label')}.json"

    def previews(self, phase: str) -> Path:
        return self.phase(phase) / "previews"

    def preview(self, phase: str, candidate_id: str) -> Path:
        """The candidate's audio preview (MP3: LAME output is byte-identical for the same
        audio, so the same seed gives the same files; Vorbis streams get a random serial)."""
        return self.previews(phase) / f"{check_safe_name(candidate_id, what='id')}{PREVIEW_SUFFIX}"

    def approved(self, phase: str) -> Path:
        return self.phase(phase) / "approved"

    def approved_midi(self, phase: str, label: str) -> Path:
        return self.approved(phase) / f"{check_safe_name(label, what='label')}.mid"

    @property
    def decision_log(self) -> Path:
        """``decisions.jsonl``: every verdict a person gave at a gate (agents/decision_log.py)."""
        return self.root / "decisions.jsonl"

    def evolution_log(self, phase: str) -> Path:
        return self.phase(phase) / "evolution.json"

    # The render after the last gate (names shared with render.pipeline.RenderPaths and
    # render.assemble.assemble_to_files; tests/agents/test_render_node.py checks they agree).

    @property
    def song_mid(self) -> Path:
        return self.root / "song.mid"

    @property
    def arrangement(self) -> Path:
        return self.root / "arrangement.json"

    @property
    def stems(self) -> Path:
        return self.root / "stems"

    def stem(self, part: str) -> Path:
        return self.stems / f"{check_safe_name(part, what='part')}.wav"

    @property
    def render_plan(self) -> Path:
        return self.root / "render_plan.json"

    @property
    def analysis(self) -> Path:
        return self.root / "analysis.json"

    @property
    def mix_wav(self) -> Path:
        return self.root / "mix.wav"

    @property
    def mix_mp3(self) -> Path:
        return self.root / "mix.mp3"

    @property
    def render_manifest(self) -> Path:
        """``render.json``: what the last complete render wrote and measured; written last."""
        return self.root / "render.json"

    def require_existing(self) -> RunDir:
        if not self.checkpoints.is_file() or not self.proposal.is_file():
            raise RunStateError(
                f"{self.root}: not a run directory (no checkpoints.sqlite / proposal.yml) -- "
                "start one with `chromatic run PROPOSAL.yml`"
            )
        return self

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))
