"""The ChromaticScorer of one song, as every part's evaluator uses it: the song's concept and
color, one onnxruntime call per batch of candidates, and the composite of theory and chromatic
match (DESIGN §5).

A :class:`SongChromaticScorer` is small and picklable: the ChromaticScorer itself sits in a
:class:`~evolution.lazy.Lazy` field, so the Ray executor ships it to its actors and each actor
opens its own ONNX session once, with the settings the executor gives it
(:meth:`SongChromaticScorer.with_onnx`). In one process every song scorer with the same model
and settings shares one loaded ChromaticScorer (and so one MiniLM encoder and one concept
cache). The song scorer of a run is built once, by
:func:`agents.builder.build_chromatic_scorer`, and lives in the agent's context.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar, Self

from evolution.lazy import Lazy, OnnxSettings
from music.meter import Meter
from music.notes import Part
from scoring.chromatic import Candidate, ChromaticScorer, ScorerInput
from scoring.composite import (
    ChromaticScore,
    EmotionScore,
    ScoreCard,
    TheoryScores,
    Weights,
    composite,
)
from scoring.emotion.midi import EmotionAim
from scoring.midi_features import MidiFeatures, table_views
from scoring.note_arrays import Backdrop, NoteTable
from scoring.section_windows import (
    slice_parts,
    slice_table,
    table_window_starts,
    window_qn,
    window_starts,
)

logger = logging.getLogger(__name__)


@functools.cache
def _load(path: str | None, providers: tuple[str, ...], threads: int) -> ChromaticScorer:
    scorer = ChromaticScorer.load(
        Path(path) if path else None, threads=threads, providers=providers
    )
    logger.info("scorer %s on %s", scorer.model.path, scorer.model.providers)
    return scorer


def load_scorer(path: str | None = None, onnx: OnnxSettings | None = None) -> ChromaticScorer:
    """The scorer at ``path`` (default: the shipped artifact), loaded once per process and
    ONNX settings (default: the CPU provider, 1 thread)."""
    settings = onnx or OnnxSettings()
    return _load(path, settings.providers, settings.threads)


@dataclass(frozen=True, slots=True)
class SongChromaticScorer:
    """The ChromaticScorer of one song: scores the sound of candidates against the song's
    concept and color.

    Attributes:
        words: the proposal's genres, mood, instruments and what it sounds like, as one tag
            list (:func:`scoring.text_encoder.proposal_words`), heard with the concept.
        model: the exported scorer to load (a path; None: the shipped model).
        onnx: the settings its ONNX session opens with (set by the executor that scores).
    """

    concept: str
    color: str
    bpm: float
    meter: Meter
    words: str = ""
    model: str | None = None
    onnx: OnnxSettings = field(default_factory=OnnxSettings)
    scorer: Lazy[ChromaticScorer] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lazy = Lazy(functools.partial(load_scorer, self.model, self.onnx))
        object.__setattr__(self, "scorer", lazy)

    def with_onnx(self, onnx: OnnxSettings) -> SongChromaticScorer:
        """This song scorer, its session opened with ``onnx`` (itself when they are its own)."""
        return self if onnx == self.onnx else replace(self, onnx=onnx)

    def chromatic(
        self,
        candidates: Sequence[Sequence[Part]],
        *,
        underneath: Sequence[Part] = (),
        kind: str | None = None,
    ) -> list[ChromaticScore]:
        """One score per candidate (its parts, times in quarter notes, heard over the parts
        ``underneath``, the same for every candidate), in one ONNX call, standardised against
        real parts of ``kind`` (chords, drums, bass, melody) where the model has a bank of
        them (:func:`scoring.chromatic_match.reference_bank`). Every bar is heard:
        music longer than the model's window is scored window by window and pooled
        (:mod:`scoring.section_windows`). The parts underneath are windowed and rolled once
        per section window, and the candidates' features are computed a window at a time for
        the whole batch."""
        under = tuple(underneath)
        starts = [window_starts(own, under, meter=self.meter) for own in candidates]
        empty: dict[int, Candidate] = {
            i: ScorerInput(parts=tuple(own), bpm=self.bpm, meter=self.meter)
            for i, own in enumerate(candidates)
            if starts[i] == []  # nothing sounds: the scorer names the empty candidate
        }
        return self._heard(NoteTable.of(candidates), starts, empty, under, kind)

    def chromatic_table(
        self, table: NoteTable, *, underneath: Sequence[Part] = (), kind: str | None = None
    ) -> list[ChromaticScore]:
        """:meth:`chromatic` of candidates given as one :class:`NoteTable` (the same scores
        as for the parts it was made of; an empty candidate is named with no parts)."""
        under = tuple(underneath)
        starts = table_window_starts(table, under, meter=self.meter)
        empty: dict[int, Candidate] = {
            i: ScorerInput(parts=(), bpm=self.bpm, meter=self.meter)
            for i, s in enumerate(starts)
            if s == []
        }
        return self._heard(table, starts, empty, under, kind)

    def _heard(
        self,
        table: NoteTable,
        starts: Sequence[list[float] | None],
        empty: dict[int, Candidate],
        under: tuple[Part, ...],
        kind: str | None,
    ) -> list[ChromaticScore]:
        """The scores of the candidates of ``table``, each heard in the windows ``starts[i]``
        (None: whole) over ``under`` as parts of ``kind``; ``empty`` holds those where nothing
        sounds."""
        length = window_qn(self.meter)
        # Each window start (None: the candidate whole) -> its candidates.
        groups: dict[float | None, list[int]] = {}
        for i, own_starts in enumerate(starts):
            if own_starts is None:
                groups.setdefault(None, []).append(i)
            else:
                for start in own_starts:
                    groups.setdefault(start, []).append(i)
        windows: list[tuple[int, float, Candidate]] = [(i, -1.0, c) for i, c in empty.items()]
        for at, members in groups.items():
            group = table.select(members)
            if at is not None:
                group = slice_table(group, at, length)
            backdrop = _backdrop(under if at is None else slice_parts(under, at, length))
            rolls, symbolic, own = table_views(group, backdrop, bpm=self.bpm, meter=self.meter)
            mine = None if backdrop.empty else own  # no backdrop: the whole roll is its own
            windows.extend(
                (
                    i,
                    -1.0 if at is None else at,
                    MidiFeatures(rolls[r], symbolic[r], own=None if mine is None else mine[r]),
                )
                for r, i in enumerate(members)
            )
        windows.sort(key=lambda w: (w[0], w[1]))  # the same pooling order in any batch
        scorer = self.scorer.get()
        scores = scorer.analyse_windows(
            [w[2] for w in windows],
            [w[0] for w in windows],
            scorer.prepare_concept(self.concept, self.words),
            color=self.color,
            kind=kind,
        )
        return [scores.item(i) for i in range(len(scores))]


@functools.lru_cache(maxsize=8)
def _backdrop(parts: tuple[Part, ...]) -> Backdrop:
    """The parts underneath a section's candidates as arrays, kept while its phase runs."""
    return Backdrop.of(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class PartEvaluator:
    """What every part's evaluator shares: the composite's weights, the parts approved under
    the candidates (the same for a whole population), the song's ChromaticScorer (None:
    theory alone) and its mood target (None: no emotion score). :attr:`PART_KIND` is the kind
    of part every subclass evaluates, which the critic standardises its candidates against."""

    PART_KIND: ClassVar[str | None] = None
    weights: Weights
    underneath: tuple[Part, ...] = ()
    chromatic_scorer: SongChromaticScorer | None = None
    emotion: EmotionAim | None = None

    def with_onnx(self, onnx: OnnxSettings) -> Self:
        """This evaluator, its song scorer's session opened with ``onnx`` (the executor's)."""
        if self.chromatic_scorer is None:
            return self
        return replace(self, chromatic_scorer=self.chromatic_scorer.with_onnx(onnx))

    def cards(
        self,
        theories: Sequence[TheoryScores],
        parts: Callable[[], Sequence[Sequence[Part]]],
        *,
        table: Callable[[], NoteTable] | None = None,
    ) -> list[ScoreCard]:
        """Composite cards for a batch: theory alone without a song scorer, else theory and
        the match of each candidate's parts (``parts()``, built only when a scorer listens or
        a mood target is set) over the parts underneath; with a mood target, the emotion of
        each candidate heard over the parts underneath (the texture a listener hears).
        ``table``: those parts as one :class:`NoteTable`, made without Notes, which the scorer
        hears instead (``parts()`` is then built only for a mood target)."""
        if self.chromatic_scorer is None and self.emotion is None:
            return [composite(t, None, self.weights) for t in theories]
        aim = self.emotion
        own = parts() if aim is not None or table is None else None
        chroma: Sequence[ChromaticScore | None]
        if self.chromatic_scorer is None:
            chroma = [None] * len(theories)
        elif table is not None:
            chroma = self.chromatic_scorer.chromatic_table(
                table(), underneath=self.underneath, kind=self.PART_KIND
            )
        else:
            assert own is not None
            chroma = self.chromatic_scorer.chromatic(
                own, underneath=self.underneath, kind=self.PART_KIND
            )
        moods: list[EmotionScore | None] = (
            [None] * len(theories)
            if aim is None or own is None
            else [aim.score((*self.underneath, *o)) for o in own]
        )
        return [
            composite(t, c, self.weights, e)
            for t, c, e in zip(theories, chroma, moods, strict=True)
        ]
