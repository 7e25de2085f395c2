"""The ChromaticScorer: how well a candidate's music fits a proposal's concept and color.

It owns the scorer's onnxruntime session (through :class:`inference.onnx.OnnxModel`) and maps the
graph's tensors to domain values. One population is scored in ONE onnxruntime call.

**What the model gives** (see ``training/scorer``): a unit embedding ``z`` of the music in the
MiniLM text space; the zero-shot (or catalogue-trained) distributions over the three chromatic
axes; ``concept_sim = <z, c>`` with the concept embedding ``c``; ``concept_z``, that cosine
standardised against the cosines of a bank of real held-out clips with the same concept
(``(concept_sim - mean_ref) / std_ref``), and a pair confidence.

**match** is computed from the graph's outputs and the model's calibration by
:mod:`scoring.chromatic_match` (the documented formula, every term a property of one
candidate, so ``score`` equals ``score_batch`` item by item).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from inference.onnx import ModelFileError, OnnxModel
from music.errors import InputError, MidiFileError
from music.meter import Meter
from music.notes import Part
from scoring.audio_features import N_AUDIO, audio_features
from scoring.chromatic_match import check_banks, match_probit, normal_cdf, standardised
from scoring.colors import AXES, COLOR_NAMES, parse_color
from scoring.composite import ChromaticScore
from scoring.midi_features import MidiFeatures, midi_features, roll_views, stack
from scoring.section_windows import pool_outputs, slice_parts, window_qn, window_starts
from scoring.text_encoder import EMBED_DIM, TextEncoder, validate_concept

logger = logging.getLogger(__name__)

ARTIFACT_PACKAGE: Final = "scoring.data"
ARTIFACT_NAME: Final = "chromatic_scorer.onnx"
SUPPORTED_FORMAT: Final = ("chromatic-scorer", 1)
#: The model always runs on a multiple of this many rows (the batch padded with copies of its
#: last row). onnxruntime's CPU kernels compute the rows of a partial block of rows (a batch of
#: 1, 2, 3, 7, 9 ...) through other code paths that differ in the last float bit, so without
#: padding a candidate's score depended on how its batch was cut: the same seed gave other
#: candidates on a Ray pool (batches split over actors) than in-process.
ROW_BLOCK: Final = 16
_REQUIRED_SIDECAR: Final = (
    "format",
    "format_version",
    "calibration",
    "input_names",
    "output_names",
    "modalities",
)


@dataclass(frozen=True, slots=True)
class ScorerInput:
    """One candidate as the scorer sees it.

    Attributes:
        parts: the candidate's parts (times in quarter notes).
        bpm: tempo in quarter notes per minute.
        meter: its time signature.
        audio: either the 32 DSP features of a rendered preview
            (:func:`scoring.audio_features.audio_features`) or, with ``sample_rate`` set, the
            mono preview samples themselves (float, [-1, 1]).
        sample_rate: samples per second of ``audio`` when it holds raw samples.
        lyrics: the lyrics sung over it, if any.
    """

    parts: tuple[Part, ...]
    bpm: float
    meter: Meter
    audio: NDArray[np.float32] | None = None
    sample_rate: int | None = None
    lyrics: str | None = None


Candidate = ScorerInput | MidiFeatures


@dataclass(frozen=True, slots=True)
class BatchScores:
    """Every number the scorer computes for a batch of ``B`` candidates (numpy arrays)."""

    embedding: NDArray[np.float32]  # [B, 384]
    color_probs: NDArray[np.float32]  # [B, 9], colors in COLOR_NAMES order
    temporal: NDArray[np.float32]  # [B, 3]
    spatial: NDArray[np.float32]  # [B, 3]
    ontological: NDArray[np.float32]  # [B, 3]
    concept_sim: NDArray[np.float32]  # [B]
    concept_z: NDArray[np.float64]  # [B]
    agreement: NDArray[np.float64]  # [B]
    color_z: NDArray[np.float64]  # [B]
    confidence: NDArray[np.float32]  # [B]
    taste: NDArray[np.float64]  # [B]
    match: NDArray[np.float64]  # [B]

    def __len__(self) -> int:
        return len(self.match)

    def item(self, i: int) -> ChromaticScore:
        def tri(a: NDArray[Any]) -> tuple[float, float, float]:
            return (float(a[i, 0]), float(a[i, 1]), float(a[i, 2]))

        return ChromaticScore(
            temporal=tri(self.temporal),
            spatial=tri(self.spatial),
            ontological=tri(self.ontological),
            confidence=float(self.confidence[i]),
            match=float(self.match[i]),
        )


def default_model_path() -> Path:
    """The shipped artifact ``scoring/data/chromatic_scorer.onnx``."""
    return Path(str(resources.files(ARTIFACT_PACKAGE).joinpath(ARTIFACT_NAME)))


def _empty_input_error(candidate: ScorerInput, index: int) -> MidiFileError:
    return MidiFileError(
        file=None,
        field=f"candidates[{index}].parts",
        value=f"{len(candidate.parts)} parts, 0 notes",
        allowed="a candidate with at least one note",
    )


@dataclass
class ChromaticScorer:
    """Scores candidates against a concept and a color with the exported scorer model.

    Build it with :meth:`load`. ``prepare_concept`` caches concept embeddings; the text encoder
    (MiniLM) is loaded on first use. Not thread-safe: use one scorer per worker."""

    model: OnnxModel
    calibration: dict[str, Any]
    use_audio: bool
    use_lyrics: bool
    _text: TextEncoder | None = field(default=None, repr=False)
    _concepts: dict[str, NDArray[np.float32]] = field(default_factory=dict, repr=False)
    _ignored: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        threads: int = 1,
        providers: tuple[str, ...] = ("CPUExecutionProvider",),
        text_encoder: TextEncoder | None = None,
    ) -> ChromaticScorer:
        """Open the model at ``path`` (default: the shipped artifact) and its sidecar, on the
        first of ``providers`` that onnxruntime offers (the CPU provider otherwise).

        Raises ModelFileError naming the file when the model or its sidecar is missing,
        unreadable or of another format."""
        path = Path(path) if path is not None else default_model_path()
        side = path.with_suffix(".json")
        if path.is_file() and not side.is_file():
            raise ModelFileError(f"{side}: sidecar not found -- export writes it next to {path}")
        model = OnnxModel.load(path, threads=threads, providers=providers)
        sidecar = model.sidecar
        missing = [k for k in _REQUIRED_SIDECAR if k not in sidecar]
        if missing:
            raise ModelFileError(f"{side}: sidecar lacks {missing} -- re-export the model")
        fmt = (sidecar["format"], sidecar["format_version"])
        if fmt != SUPPORTED_FORMAT:
            raise ModelFileError(f"{side}: format {fmt!r} -- this program reads {SUPPORTED_FORMAT}")
        if tuple(sidecar["input_names"]) != model.input_names:
            raise ModelFileError(
                f"{path}: inputs {model.input_names} differ from the sidecar's "
                f"{sidecar['input_names']} -- re-export the model"
            )
        check_banks(side, sidecar, model.output_names)
        modalities = sidecar["modalities"]
        scorer = cls(
            model=model,
            calibration=sidecar["calibration"],
            use_audio=bool(modalities.get("audio", 0)),
            use_lyrics=bool(modalities.get("lyrics", 0)),
            _text=text_encoder,
        )
        derived = [a for a, how in scorer.axis_sources.items() if how != "predicted"]
        if derived:
            logger.warning(
                "%s: its %s axes are derived from one color mixture (spatial is temporal "
                "relabelled), not separate predictions -- rebuild it with `python -m "
                "training.scorer.export --rehead`",
                path,
                ", ".join(derived),
            )
        return scorer

    @property
    def sidecar(self) -> dict[str, Any]:
        return self.model.sidecar

    @property
    def roll_channels(self) -> int:
        """How many roll channels the model reads: 2 (sounding notes, onsets) or 3 (and the
        part being scored, apart from the parts underneath; see
        :mod:`scoring.midi_features`)."""
        return int(self.sidecar.get("config", {}).get("roll_channels", 2))

    @property
    def axis_sources(self) -> dict[str, str]:
        """How the model makes each axis: ``predicted`` (its own prediction from the music) or
        ``derived`` (a model exported with the old heads, whose axes all mix the colors'
        targets by one color distribution)."""
        axes = self.sidecar.get("heads", {}).get("axes")
        if isinstance(axes, dict):
            return {axis: str(axes.get(axis, "derived")) for axis in AXES}
        return dict.fromkeys(AXES, "derived")

    # ------------------------------------------------------------------ text
    def text_encoder(self) -> TextEncoder:
        if self._text is None:
            self._text = TextEncoder.load()
        return self._text

    def prepare_concept(self, text: str, words: str = "") -> NDArray[np.float32]:
        """The concept's unit embedding ``[384]`` (cached); with the proposal's ``words``
        (genres, mood, instruments, what it sounds like:
        :func:`scoring.text_encoder.proposal_words`), the unit sum of the concept's unit
        embedding and the words' times the sidecar's ``calibration.words_weight`` (default 1:
        the words weigh as much as the concept). Raises InputError (field ``concept``) for
        anything shorter than three words."""
        cleaned = validate_concept(text)
        words = words.strip()
        key = f"{cleaned}\n{words}" if words else cleaned
        cached = self._concepts.get(key)
        if cached is None:
            cached = self.text_encoder().encode([cleaned])[0]
            if words:
                weight = np.float32(self.calibration.get("words_weight", 1.0))
                both = cached + weight * self.text_encoder().encode([words])[0]
                cached = (both / np.float32(np.linalg.norm(both))).astype(np.float32)
            self._concepts[key] = cached
        return cached

    def _concept_vector(self, concept: str | NDArray[np.float32]) -> NDArray[np.float32]:
        if isinstance(concept, str):
            return self.prepare_concept(concept)
        vec = np.asarray(concept, dtype=np.float32)
        norm = float(np.linalg.norm(vec)) if vec.shape == (EMBED_DIM,) else 0.0
        if not (math.isfinite(norm) and norm > 0):
            raise InputError(
                file=None,
                field="concept",
                value=f"array of shape {vec.shape}",
                allowed=f"a concept text, or its embedding: a finite non-zero [{EMBED_DIM}] vector",
            )
        out: NDArray[np.float32] = vec / np.float32(norm)
        return out

    # ------------------------------------------------------------------ inputs
    def _features(self, candidate: Candidate, index: int) -> MidiFeatures:
        if isinstance(candidate, MidiFeatures):
            return candidate
        if not isinstance(candidate, ScorerInput):
            raise TypeError(
                f"candidates[{index}]: {type(candidate).__name__} -- a ScorerInput or MidiFeatures"
            )
        if not any(p.notes for p in candidate.parts):
            raise _empty_input_error(candidate, index)
        return midi_features(candidate.parts, bpm=candidate.bpm, meter=candidate.meter)

    def _audio(self, candidate: Candidate, index: int) -> NDArray[np.float32] | None:
        if candidate.audio is None:
            return None
        audio = np.asarray(candidate.audio, dtype=np.float32)
        if isinstance(candidate, ScorerInput) and candidate.sample_rate is not None:
            audio = audio_features(audio, candidate.sample_rate)
        if audio.shape != (N_AUDIO,) or not np.isfinite(audio).all():
            raise InputError(
                file=None,
                field=f"candidates[{index}].audio",
                value=f"array of shape {audio.shape}",
                allowed=f"{N_AUDIO} finite audio features, or samples with sample_rate set",
            )
        return audio

    def model_inputs(
        self, candidates: Sequence[Candidate], concept: NDArray[np.float32], *, rows: int = 0
    ) -> dict[str, NDArray[np.float32]]:
        """Graph inputs; ``concept`` is one ``[384]`` vector or one row per candidate. With
        ``rows`` above the number of candidates, every input is padded to that many rows with
        copies of its last row (see :meth:`_run`)."""
        n = len(candidates)
        if n == 0:
            raise ValueError("candidates: an empty population -- pass at least one candidate")
        total = max(rows, n)
        features = [self._features(c, i) for i, c in enumerate(candidates)]
        _, symbolic = stack(features, rows=total)
        rolls = roll_views(features, self.roll_channels, rows=total)
        audio = np.zeros((total, N_AUDIO), dtype=np.float32)
        audio_mask = np.zeros((total, 1), dtype=np.float32)
        lyrics = np.zeros((total, EMBED_DIM), dtype=np.float32)
        lyrics_mask = np.zeros((total, 1), dtype=np.float32)
        for i, cand in enumerate(candidates):
            feats = self._audio(cand, i)
            if feats is not None:
                if self.use_audio:
                    audio[i], audio_mask[i] = feats, 1.0
                else:
                    self._ignore("audio")
            if isinstance(cand, ScorerInput) and cand.lyrics:
                if self.use_lyrics:
                    lyrics[i] = self.text_encoder().encode([cand.lyrics])[0]
                    lyrics_mask[i] = 1.0
                else:
                    self._ignore("lyrics")
        for extra in (audio, audio_mask, lyrics, lyrics_mask):
            extra[n:] = extra[n - 1]
        texts = np.asarray(concept, dtype=np.float32)
        if texts.ndim == 2 and total > n:
            texts = np.concatenate([texts, np.repeat(texts[-1:], total - n, axis=0)])
        return {
            "roll": np.ascontiguousarray(rolls, dtype=np.float32),
            "symbolic": np.ascontiguousarray(symbolic, dtype=np.float32),
            "audio": audio,
            "audio_mask": audio_mask,
            "lyrics": lyrics,
            "lyrics_mask": lyrics_mask,
            "concept": np.ascontiguousarray(np.broadcast_to(texts, (total, EMBED_DIM))),
        }

    def _ignore(self, modality: str) -> None:
        if modality not in self._ignored:
            self._ignored.add(modality)
            logger.warning(
                "%s: candidates carry %s, but this model was trained without it; it is ignored "
                "(train on a catalogue with %s to use it)",
                self.model.path,
                modality,
                modality,
            )

    def _inputs(
        self, candidates: Sequence[Candidate], concept: NDArray[np.float32]
    ) -> dict[str, NDArray[np.float32]]:
        """:meth:`model_inputs` padded to a multiple of :data:`ROW_BLOCK` rows at once."""
        n = len(candidates)
        return self.model_inputs(candidates, concept, rows=n + (-n % ROW_BLOCK))

    def _run(
        self, inputs: dict[str, NDArray[np.float32]], n: int | None = None
    ) -> dict[str, NDArray[np.float32]]:
        """The model's outputs for the first ``n`` rows of ``inputs`` (default: all ``B``),
        run on ``B`` padded to a multiple of :data:`ROW_BLOCK` (copies of the last row), so
        each row's result is the same in any batch."""
        n = len(inputs["roll"]) if n is None else n
        extra = -len(inputs["roll"]) % ROW_BLOCK
        if extra:
            inputs = {
                k: np.concatenate([v, np.repeat(v[-1:], extra, axis=0)]) for k, v in inputs.items()
            }
        out = self.model.run(inputs)
        return {k: v[:n] for k, v in out.items()}

    # ------------------------------------------------------------------ scoring
    def analyse_batch(
        self,
        candidates: Sequence[Candidate],
        concept: str | NDArray[np.float32],
        *,
        color: object,
        kind: str | None = None,
    ) -> BatchScores:
        """Every number for a population, in one onnxruntime call (see the module docstring).
        A candidate longer than the model's window is heard window by window over its whole
        length and its outputs pooled (:mod:`scoring.section_windows`). ``kind``: the kind of
        part the candidates are (chords, drums, bass, melody), whose reference bank
        standardises them where the model has one."""
        rows, owners = self._windows(candidates)
        return self.analyse_windows(rows, owners, concept, color=color, kind=kind)

    def analyse_windows(
        self,
        rows: Sequence[Candidate],
        owners: Sequence[int],
        concept: str | NDArray[np.float32],
        *,
        color: object,
        kind: str | None = None,
    ) -> BatchScores:
        """The numbers of candidates ``0..max(owners)`` heard as windows: ``rows[r]`` is one
        window of candidate ``owners[r]``; each candidate's outputs are pooled over its windows
        (:func:`scoring.section_windows.pool_outputs`), in one onnxruntime call. ``kind`` as in
        :meth:`analyse_batch`."""
        name = parse_color(color)
        vec = self._concept_vector(concept)
        if len(rows) != len(owners):
            raise ValueError(f"owners: {len(owners)} for {len(rows)} rows -- one per row")
        return self._scores(self._pooled(rows, owners, vec), name, kind)

    def _pooled(
        self, rows: Sequence[Candidate], owners: Sequence[int], concept: NDArray[np.float32]
    ) -> dict[str, NDArray[np.float32]]:
        """The model's outputs for the windows ``rows``, pooled per owner."""
        out = self._run(self._inputs(rows, concept), len(rows))
        if list(owners) != list(range(len(rows))):
            out = pool_outputs(out, owners, max(owners) + 1)
        return out

    def _windows(self, candidates: Sequence[Candidate]) -> tuple[list[Candidate], list[int]]:
        """Each candidate as the windows the model hears (one row, or one per window of a
        :class:`ScorerInput` longer than the window), and the candidate of each row."""
        rows: list[Candidate] = []
        owners: list[int] = []
        for i, cand in enumerate(candidates):
            starts = None
            if isinstance(cand, ScorerInput):
                starts = window_starts(cand.parts, (), meter=cand.meter)
                if starts == []:
                    raise _empty_input_error(cand, i)
            if starts is None or not isinstance(cand, ScorerInput):
                rows.append(cand)
                owners.append(i)
                continue
            length = window_qn(cand.meter)
            for start in starts:
                rows.append(replace(cand, parts=slice_parts(cand.parts, start, length)))
                owners.append(i)
        return rows, owners

    def _scores(
        self, out: dict[str, NDArray[np.float32]], name: str, kind: str | None
    ) -> BatchScores:
        """The domain numbers of the model's (pooled) outputs for the color ``name``, scored
        as parts of ``kind``."""
        concept_z, agreement, color_z = standardised(out, self.calibration, name, kind)
        weights = self.calibration["weights"]
        taste = out["taste"] if "taste" in out else np.zeros(len(out["concept_sim"]))
        taste = taste.astype(np.float64)
        match = normal_cdf(
            match_probit(
                concept_z,
                color_z,
                w_concept=weights["concept"],
                w_color=weights["color"],
                scale=float(self.calibration.get("scale", 1.0)),
                taste=taste,
            )
        )
        return BatchScores(
            embedding=out["embedding"],
            color_probs=out["color_probs"],
            temporal=out["temporal"],
            spatial=out["spatial"],
            ontological=out["ontological"],
            concept_sim=out["concept_sim"],
            concept_z=concept_z,
            agreement=agreement,
            color_z=color_z,
            confidence=out["confidence"],
            taste=taste,
            match=match,
        )

    def embed(self, candidates: Sequence[Candidate]) -> NDArray[np.float32]:
        """The music embeddings ``[B, 384]`` (unit vectors in the MiniLM text space)."""
        neutral = np.zeros(EMBED_DIM, dtype=np.float32)
        neutral[0] = 1.0  # any unit concept: the embedding does not depend on it
        return self._pooled(*self._windows(candidates), neutral)["embedding"]

    def pair_confidence(
        self, candidates: Sequence[Candidate], texts: NDArray[np.float32]
    ) -> NDArray[np.float32]:
        """Confidence ``[B]`` that candidate ``i`` belongs with text embedding ``texts[i]``."""
        if texts.shape != (len(candidates), EMBED_DIM):
            raise ValueError(f"texts: shape {texts.shape} -- one [{EMBED_DIM}] row per candidate")
        return self._run(self._inputs(candidates, texts), len(candidates))["confidence"]

    def score_batch(
        self,
        candidates: Sequence[Candidate],
        concept: str | NDArray[np.float32],
        *,
        color: object,
        kind: str | None = None,
    ) -> list[ChromaticScore]:
        """One :class:`ChromaticScore` per candidate, in order, from one onnxruntime call
        (``kind`` as in :meth:`analyse_batch`)."""
        scores = self.analyse_batch(candidates, concept, color=color, kind=kind)
        return [scores.item(i) for i in range(len(scores))]

    def score(
        self,
        candidate: Candidate,
        concept: str | NDArray[np.float32],
        *,
        color: object,
        kind: str | None = None,
    ) -> ChromaticScore:
        """The score of one candidate (identical to its entry in :meth:`score_batch`)."""
        return self.score_batch([candidate], concept, color=color, kind=kind)[0]


__all__ = [
    "COLOR_NAMES",
    "BatchScores",
    "Candidate",
    "ChromaticScorer",
    "ScorerInput",
    "default_model_path",
]
