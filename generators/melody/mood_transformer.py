"""Sampling the mood melody transformer on onnxruntime (through
:class:`inference.onnx.OnnxModel`): melodies of a number of bars conditioned on valence,
arousal, tempo, meter and (given or drawn) mode, a whole batch in one call per note with the
exported step graph and its key/value cache.

Each note's fields are drawn in order under the grammar: the bar move (never back, never past
the bars wanted: a row that would move past them is done), the onset (after the previous
note's in the same bar), the scale step, a duration that ends inside the bar, the velocity.
When a row's window is full it keeps its condition tokens and its latest half, re-read from a
bar of its own (the bar field is relative), and its cache is rebuilt from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from generators.melody.compound import (
    DURATIONS,
    FIELDS,
    KIND,
    KINDS,
    MAX_BAR_MOVE,
    METERS,
    SIZES,
    VOCAB_VERSION,
    Compound,
    Condition,
    TokenNote,
    decode_note,
    encode_notes,
    meter_name,
)
from inference.onnx import ModelFileError, OnnxModel
from music.meter import Meter

ARTIFACT_PACKAGE: Final = "generators.data"
ARTIFACT_NAME: Final = "mood_melody.onnx"
#: Sampling temperature of the melody phase's seeds.
DEFAULT_TEMPERATURE: Final = 0.9
#: Meters the melody phase samples: those OpenEWLD holds at least 500 bars of (4/4 7,584,
#: 3/4 2,744, 2/2 2,680, 2/4 560); 6/8 (272 bars) has a token and is trained on, not sampled.
SAMPLED_METERS: Final = ("4/4", "3/4", "2/2", "2/4")
_OFFSETS: Final = tuple(int(x) for x in np.cumsum((0, *SIZES[:-1])))
_MODES: Final = (KIND["MODE_major"], KIND["MODE_minor"])


@dataclass(frozen=True, slots=True)
class MoodSample:
    """One sampled melody: its mode family and its notes (bars from 0)."""

    mode: str
    notes: tuple[TokenNote, ...]


@dataclass
class _Row:
    """The decoding state of one melody (mutable, private to a sample call)."""

    prefix: list[Compound]
    bars: int
    spb: int
    notes: list[TokenNote] = field(default_factory=list)
    done: bool = False

    @property
    def bar(self) -> int:
        return self.notes[-1].bar if self.notes else -1

    def window(self, keep: int) -> list[Compound]:
        """The prefix and the latest ``keep`` notes, their bars counted from the first kept."""
        kept = self.notes[-keep:] if keep else []
        first = kept[0].bar if kept else 0
        rebased = [TokenNote(n.bar - first, n.onset, n.duration, n.step, n.velocity) for n in kept]
        return [*self.prefix, *encode_notes(rebased)]


def _draw(logits: NDArray[np.float32], allowed: NDArray[np.bool_], t: float, u: float) -> int:
    """An index of ``logits`` among ``allowed``, at temperature ``t``, by the uniform ``u``."""
    z = np.where(allowed, logits.astype(np.float64) / t, -np.inf)
    p = np.exp(z - z.max())
    cdf = np.cumsum(p / p.sum())
    return min(int(np.searchsorted(cdf, u)), len(cdf) - 1)


def _field(logits: NDArray[np.float32], f: int) -> NDArray[np.float32]:
    return logits[_OFFSETS[f] : _OFFSETS[f] + SIZES[f]]


class MoodMelodyTransformer:
    """The exported step graph and its sidecar (fields, vocabulary, config)."""

    def __init__(self, step: OnnxModel) -> None:
        side = step.sidecar
        if (
            side.get("vocab_version") != VOCAB_VERSION
            or side.get("kinds") != list(KINDS)
            or side.get("sizes") != list(SIZES)
            or side.get("fields") != list(FIELDS)
        ):
            raise ModelFileError(
                f"{step.path}: its sidecar vocabulary does not match this program's compound "
                f"tokens (version {VOCAB_VERSION}); re-train it with chromatic train mood-melody"
            )
        cfg = side["config"]
        self.step = step
        self.context = int(cfg["context"])
        self.layers = int(cfg["n_layer"])
        self.heads = int(cfg["n_head"])
        self.head_dim = int(cfg["d_model"]) // self.heads

    @classmethod
    def load(cls, path: Path | None = None, *, threads: int = 1) -> MoodMelodyTransformer:
        """Load the step graph named in the sidecar of ``path`` (default: the shipped
        ``generators/data/mood_melody.onnx``)."""
        window = path or Path(str(resources.files(ARTIFACT_PACKAGE).joinpath(ARTIFACT_NAME)))
        side = window.with_suffix(".json")
        if not side.is_file():
            raise ModelFileError(f"{side}: sidecar not found -- train or export the model first")
        name = json.loads(side.read_text(encoding="utf-8")).get("step_model")
        if not name:
            raise ModelFileError(f"{side}: no step_model -- re-export the model")
        return cls(OnnxModel.load(window.with_name(str(name)), threads=threads, sidecar_path=side))

    @staticmethod
    def supports(meter: Meter) -> bool:
        """True when the melody phase samples ``meter`` (:data:`SAMPLED_METERS`)."""
        return str(meter) in SAMPLED_METERS

    # ------------------------------------------------------------------ decoding
    def _run(
        self,
        tokens: NDArray[np.int64],
        pos: NDArray[np.int64],
        k: NDArray[np.float32],
        v: NDArray[np.float32],
        rows: NDArray[np.int64],
    ) -> NDArray[np.float32]:
        """Feed one token per row of ``rows`` at ``pos``; write their keys and values. When
        ``rows`` is every row in order (most steps), the caches are fed as they are, not
        copied."""
        every = len(rows) == k.shape[1] and bool((rows == np.arange(len(rows))).all())
        k_in, v_in = (k, v) if every else (k[:, rows], v[:, rows])
        out = self.step.run({"tokens": tokens, "pos": pos, "k_cache": k_in, "v_cache": v_in})
        k[:, rows, :, pos] = out["k_new"].transpose(1, 0, 2, 3)
        v[:, rows, :, pos] = out["v_new"].transpose(1, 0, 2, 3)
        return out["logits"]

    def _prefill(
        self,
        windows: list[list[Compound]],
        rows: NDArray[np.int64],
        k: NDArray[np.float32],
        v: NDArray[np.float32],
    ) -> NDArray[np.float32]:
        """Feed every window's tokens to the rows ``rows``; returns each row's last logits."""
        last = np.zeros((len(rows), sum(SIZES)), dtype=np.float32)
        for p in range(max(len(w) for w in windows)):
            live = np.array([i for i, w in enumerate(windows) if p < len(w)], dtype=np.int64)
            toks = np.array([windows[i][p] for i in live], dtype=np.int64)
            logits = self._run(toks, np.full(len(live), p, dtype=np.int64), k, v, rows[live])
            for j, i in enumerate(live):
                if p == len(windows[i]) - 1:
                    last[i] = logits[j]
        return last

    @staticmethod
    def _note(
        row: _Row, logits: NDArray[np.float32], t: float, rng: np.random.Generator
    ) -> Compound | None:
        """Draw the next note token of ``row`` under the grammar; None when the row is
        done."""
        bar = row.bar
        prev = row.notes[-1] if row.notes else None
        moves = np.zeros(SIZES[1], dtype=bool)
        moves[1 : MAX_BAR_MOVE + 2] = True
        if prev is None or prev.onset >= row.spb - 1:
            moves[1] = False
        move = _draw(_field(logits, 1), moves, t, rng.random()) - 1
        if bar + move >= row.bars:
            return None
        onsets = np.zeros(SIZES[2], dtype=bool)
        first = prev.onset + 1 if move == 0 and prev is not None else 0
        onsets[first + 1 : row.spb + 1] = True
        onset = _draw(_field(logits, 2), onsets, t, rng.random()) - 1
        steps = np.ones(SIZES[3], dtype=bool)
        steps[0] = False
        durs = np.zeros(SIZES[4], dtype=bool)
        durs[1 : min(DURATIONS, row.spb - onset) + 1] = True
        vels = np.ones(SIZES[5], dtype=bool)
        vels[0] = False
        token: Compound = (
            KIND["NOTE"],
            move + 1,
            onset + 1,
            _draw(_field(logits, 3), steps, t, rng.random()),
            _draw(_field(logits, 4), durs, t, rng.random()),
            _draw(_field(logits, 5), vels, t, rng.random()),
        )
        return token

    def sample(
        self,
        n: int,
        *,
        valence: float,
        arousal: float,
        bpm: float,
        meter: Meter,
        bars: int,
        rng: np.random.Generator,
        mode: str | None = None,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> list[MoodSample]:
        """``n`` melodies of ``bars`` bars in one batch. ``mode`` (``"major"``/``"minor"``)
        is given, or drawn by the model from the other conditions when None. Raises
        ValueError for a meter without a token or bad counts."""
        name = meter_name(meter.numerator, meter.denominator)
        if name is None:
            raise ValueError(
                f"meter: {meter} -- the mood melody transformer plays {', '.join(METERS)}"
            )
        if n < 1 or bars < 1 or not temperature > 0:
            raise ValueError(
                f"n, bars, temperature: {n!r}, {bars!r}, {temperature!r} -- at least one melody "
                "of one bar, a positive temperature"
            )
        cond = Condition(
            valence=float(np.clip(valence, -1, 1)),
            arousal=float(np.clip(arousal, -1, 1)),
            bpm=bpm,
            meter=name,
            mode=mode or "major",
        )
        spb = round(meter.bar_qn * 4)
        head = cond.prefix()
        shape = (self.layers, n, self.heads, self.context, self.head_dim)
        k = np.zeros(shape, dtype=np.float32)
        v = np.zeros(shape, dtype=np.float32)
        everyone = np.arange(n, dtype=np.int64)
        given = head if mode is not None else head[:-1]
        logits = self._prefill([given] * n, everyone, k, v)
        if mode is None:
            modes = np.zeros(SIZES[0], dtype=bool)
            modes[list(_MODES)] = True
            picks = [
                _draw(_field(logits[i], 0), modes, temperature, rng.random()) for i in range(n)
            ]
            mode_tokens = [(p, 0, 0, 0, 0, 0) for p in picks]
            logits = self._run(
                np.array(mode_tokens, dtype=np.int64),
                np.full(n, len(given), dtype=np.int64),
                k,
                v,
                everyone,
            )
            prefixes = [[*given, tok] for tok in mode_tokens]
        else:
            prefixes = [list(head)] * n
        rows = [_Row(prefix=p, bars=bars, spb=spb) for p in prefixes]
        lengths = np.full(n, len(head), dtype=np.int64)
        keep = max(1, (self.context - len(head)) // 2)
        while not all(r.done for r in rows):
            live = [i for i, r in enumerate(rows) if not r.done]
            fed: list[int] = []
            tokens: dict[int, Compound] = {}
            for i in live:
                token = self._note(rows[i], logits[i], temperature, rng)
                if token is None:
                    rows[i].done = True
                    continue
                rows[i].notes.append(decode_note(token, rows[i].bar))
                tokens[i] = token
                fed.append(i)
            if not fed:
                break
            full = [i for i in fed if lengths[i] >= self.context]
            step_rows = [i for i in fed if lengths[i] < self.context]
            if step_rows:
                idx = np.array(step_rows, dtype=np.int64)
                toks = np.array([tokens[i] for i in step_rows], dtype=np.int64)
                logits[idx] = self._run(toks, lengths[idx], k, v, idx)
                lengths[idx] += 1
            if full:
                idx = np.array(full, dtype=np.int64)
                windows = [rows[i].window(keep) for i in full]
                logits[idx] = self._prefill(windows, idx, k, v)
                lengths[idx] = [len(w) for w in windows]
        return [
            MoodSample(mode=KINDS[r.prefix[-1][0]].removeprefix("MODE_"), notes=tuple(r.notes))
            for r in rows
        ]
