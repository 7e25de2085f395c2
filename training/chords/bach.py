"""Read When-in-Rome RomanText analyses (the Bach chorales) into chord passages.

Each key region of a chorale is one passage, in the mode of its local key: a modulation closes
the passage and starts the next; a pivot chord (``b3 VI F: IV``) ends the old region with its
old reading and starts the new region with its new one. Phrase boundaries written in the
RomanText (``||``, ``:||``, a repeat barline) mark cadences, as do the end of the piece and the
end of each key region longer than four chords. Chords with no triad reading (augmented sixths)
break the passage.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from training.chords.passages import Passage, PassageBuilder, Piece, classify_triad, mode_family

log = logging.getLogger(__name__)

#: RomanText tokens that end a phrase.
PHRASE_END_MARKS = frozenset({"||", ":||", ":||:"})
#: A key region needs more than this many (merged) chords for its last pair to count as a cadence.
REGION_CADENCE_MIN_CHORDS = 4


def find_chorales(root: Path) -> list[Path]:
    """Every ``analysis.txt`` under ``root`` (not the ``analysis_BCMH.txt`` duplicates), sorted."""
    return sorted(p for p in root.rglob("analysis.txt") if p.is_file())


def roman_token(rn: Any) -> tuple[int, str] | None:
    """``(offset above the local tonic, triad)`` of a music21 RomanNumeral, or None when it has
    no triad reading (augmented sixths, unknown keys)."""
    key = rn.key
    if key is None:
        return None
    root = rn.root()
    if root is None:
        return None
    root_pc = int(root.pitchClass)
    offset = (root_pc - int(key.tonic.pitchClass)) % 12
    pcs = {(int(pc) - root_pc) % 12 for pc in rn.pitchClasses}
    third = None if rn.third is None else (int(rn.third.pitchClass) - root_pc) % 12
    fifth = None if rn.fifth is None else (int(rn.fifth.pitchClass) - root_pc) % 12
    if third not in (None, 3, 4) or fifth not in (None, 6, 7, 8):
        return None
    suspended = third is None and bool(pcs & {2, 5})
    return offset, classify_triad(third, fifth, suspended=suspended)


def _rn_mode(rn: Any) -> str:
    return mode_family(str(rn.key.mode))


class _ChoraleWalker:
    """Walks one parsed chorale, closing passages at key changes and breaks."""

    def __init__(self) -> None:
        self.passages: list[Passage] = []
        self.builder: PassageBuilder | None = None
        self.region: tuple[int, str] | None = None
        self.skipped = 0

    def _close(self, *, cadence: bool) -> None:
        if self.builder is not None:
            passage = self.builder.close(cadence=cadence)
            if passage is not None:
                self.passages.append(passage)
        self.builder = None

    def _close_region(self) -> None:
        long_region = self.builder is not None and len(self.builder) > REGION_CADENCE_MIN_CHORDS
        self._close(cadence=long_region)

    def _enter(self, rn: Any) -> None:
        region = (int(rn.key.tonic.pitchClass), _rn_mode(rn))
        if region != self.region:
            self._close_region()
            self.region = region
        if self.builder is None:
            self.builder = PassageBuilder(mode=region[1])

    def roman(self, rn: Any) -> None:
        beats = float(rn.quarterLength)
        token = roman_token(rn)
        if token is None or beats <= 0:
            self.skipped += 1
            self._close(cadence=False)
            return
        self._enter(rn)
        assert self.builder is not None
        self.builder.add(token[0], token[1], beats)
        pivot = getattr(rn, "pivotChord", None)
        if pivot is not None and pivot.key is not None:
            pivot_token = roman_token(pivot)
            if pivot_token is not None:
                self._enter(pivot)
                assert self.builder is not None
                self.builder.add(pivot_token[0], pivot_token[1], beats)

    def phrase_end(self) -> None:
        if self.builder is not None:
            self.builder.mark_cadence()

    def finish(self) -> tuple[Passage, ...]:
        self._close(cadence=True)
        return tuple(self.passages)


def parse_romantext(text: str, *, piece_id: str) -> Piece:
    """Parse RomanText source into one piece of passages. Raises ValueError on bad input."""
    from music21 import converter, roman, stream

    try:
        score = converter.parse(text, format="romanText")
    except Exception as exc:  # music21 raises many types; report them as one, with the piece
        raise ValueError(f"{piece_id}: RomanText could not be parsed -- {exc}") from exc
    walker = _ChoraleWalker()
    for measure in score.recurse().getElementsByClass(stream.Measure):
        for el in measure:
            if isinstance(el, roman.RomanNumeral):
                walker.roman(el)
            elif type(el).__name__ == "RomanTextUnprocessedToken":
                src = str(getattr(getattr(el, "obj", None), "src", "")).strip()
                if src in PHRASE_END_MARKS:
                    walker.phrase_end()
        barline = measure.rightBarline
        if barline is not None and getattr(barline, "direction", None) == "end":
            walker.phrase_end()
    if walker.skipped:
        log.debug("%s: %d chords without a triad reading broke passages", piece_id, walker.skipped)
    return Piece(piece_id=piece_id, passages=walker.finish())


def read_chorale(path: Path) -> Piece:
    """One ``analysis.txt``; the piece id is its folder name (``"001"``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read RomanText analysis -- {exc}") from exc
    return parse_romantext(text, piece_id=path.parent.name)
