"""The learned chord-transition model: smoothed first-order chord statistics per corpus and mode.

A chord is a token ``"{offset}:{triad}"``: ``offset`` is the root's distance above the key's
tonic in semitones (0-11) and ``triad`` one of :data:`TRIADS` (sevenths and extensions reduced
to their triad). Counts come from ``generators/data/chord_transitions.json`` (built by
``python -m training.chords.build_transitions``), one table per source corpus (``bach``,
``billboard``) and mode (``major``, ``minor``). A *blend* weights the sources: a pop proposal
leans on Billboard, a chorale on Bach.

Smoothing: transitions are interpolated absolute discounting (Kneser-Ney style, discount
:data:`DISCOUNT`) over a continuation distribution with a pseudo-count for every token, so each
row is a distribution over all :data:`ALL_TOKENS` and nothing valid has probability 0. Start and
cadence probabilities shrink their counts toward the unigram/transition estimates.
Log-likelihoods are natural logs.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from generators.sampling import weighted_index

log = logging.getLogger(__name__)

MODES: Final = ("major", "minor")
TRIADS: Final = ("maj", "min", "dim", "aug", "sus")
#: Every token the model assigns probability to: 12 offsets x 5 triads.
ALL_TOKENS: Final[tuple[str, ...]] = tuple(f"{o}:{t}" for o in range(12) for t in TRIADS)
_INDEX: Final[dict[str, int]] = {t: i for i, t in enumerate(ALL_TOKENS)}

FORMAT_VERSION: Final = 1
ARTIFACT_PACKAGE: Final = "generators.data"
ARTIFACT_NAME: Final = "chord_transitions.json"
#: Absolute discount subtracted from every seen transition count.
DISCOUNT: Final = 0.75
#: Pseudo-count of every token in the continuation and unigram distributions.
PSEUDO_COUNT: Final = 0.5
#: Weight (in counts) of the unigram prior on starts and the transition prior on cadences.
PRIOR_WEIGHT: Final = 4.0
_FIELDS: Final = ("start", "transition", "cadence", "unigram", "duration_beats")

FloatArray = npt.NDArray[np.float64]


class ChordModelError(ValueError):
    """The chord-transition artifact or a request to the model cannot be used."""


def chord_token(offset: int, triad: str) -> str:
    """``(7, "maj")`` -> ``"7:maj"``. Raises ChordModelError for an offset outside 0-11 or an
    unknown triad."""
    if not isinstance(offset, int) or not 0 <= offset <= 11:
        raise ChordModelError(f"chord token offset: {offset!r} -- an integer 0-11")
    if triad not in TRIADS:
        raise ChordModelError(f"chord token triad: {triad!r} -- one of {', '.join(TRIADS)}")
    return f"{offset}:{triad}"


def parse_token(token: str) -> tuple[int, str]:
    """``"10:maj"`` -> ``(10, "maj")``. Raises ChordModelError naming the token."""
    if token not in _INDEX:
        raise ChordModelError(
            f"chord token: {token!r} -- '{{offset}}:{{triad}}' with offset 0-11 and triad one of "
            f"{', '.join(TRIADS)}, e.g. '7:maj'"
        )
    offset, triad = token.split(":")
    return int(offset), triad


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ChordModelError(f"mode: {mode!r} -- one of {', '.join(MODES)}")
    return mode


@dataclass(frozen=True, slots=True)
class ModeTables:
    """Smoothed statistics of one source in one mode. Arrays are indexed like ALL_TOKENS."""

    start: FloatArray  # [V], sums to 1
    unigram: FloatArray  # [V], sums to 1
    transition: FloatArray  # [V, V], rows sum to 1
    cadence: dict[tuple[int, int], int]
    cadence_total: int
    seen: frozenset[str]
    reference: tuple[float, float] | None  # (low, high) mean log-likelihood, or None


def _counts(obj: object, where: str) -> dict[str, float]:
    if not isinstance(obj, dict):
        raise ChordModelError(f"{where}: {type(obj).__name__} -- a mapping of token to count")
    out: dict[str, float] = {}
    for k, v in obj.items():
        if not isinstance(v, int | float) or isinstance(v, bool) or not v >= 0:
            raise ChordModelError(f"{where}.{k}: {v!r} -- a non-negative count")
        out[str(k)] = float(v)
    return out


def _token_index(token: str, where: str) -> int:
    if token not in _INDEX:
        raise ChordModelError(f"{where}: {token!r} -- a chord token like '7:maj'")
    return _INDEX[token]


def smooth_tables(data: Mapping[str, Any], *, where: str) -> ModeTables:
    """Smoothed tables from one ``sources.<source>.<mode>`` object of the artifact."""
    missing = [f for f in _FIELDS if f not in data]
    if missing:
        raise ChordModelError(f"{where}: missing {missing} -- fields {', '.join(_FIELDS)}")
    v = len(ALL_TOKENS)
    uni = np.zeros(v)
    for tok, c in _counts(data["unigram"], f"{where}.unigram").items():
        uni[_token_index(tok, f"{where}.unigram")] += c
    counts = np.zeros((v, v))
    rows = data["transition"]
    if not isinstance(rows, dict):
        raise ChordModelError(f"{where}.transition: {type(rows).__name__} -- prev -> next -> count")
    for prev, row in rows.items():
        i = _token_index(prev, f"{where}.transition")
        for nxt, c in _counts(row, f"{where}.transition.{prev}").items():
            counts[i, _token_index(nxt, f"{where}.transition.{prev}")] += c
    start = np.zeros(v)
    for tok, c in _counts(data["start"], f"{where}.start").items():
        start[_token_index(tok, f"{where}.start")] += c
    cadence: dict[tuple[int, int], int] = {}
    for pair, c in _counts(data["cadence"], f"{where}.cadence").items():
        prev, sep, last = pair.partition(">")
        if not sep:
            raise ChordModelError(f"{where}.cadence: {pair!r} -- a key like '7:maj>0:maj'")
        key = (_token_index(prev, f"{where}.cadence"), _token_index(last, f"{where}.cadence"))
        cadence[key] = cadence.get(key, 0) + int(c)
    _counts(data["duration_beats"], f"{where}.duration_beats")

    unigram = (uni + PSEUDO_COUNT) / (uni.sum() + PSEUDO_COUNT * v)
    followers = (counts > 0).sum(axis=0).astype(float)  # distinct predecessors of each token
    continuation = (followers + PSEUDO_COUNT) / (followers.sum() + PSEUDO_COUNT * v)
    row_total = counts.sum(axis=1, keepdims=True)
    row_types = (counts > 0).sum(axis=1, keepdims=True)
    safe_total = np.where(row_total > 0, row_total, 1.0)
    discounted = np.maximum(counts - DISCOUNT, 0.0) / safe_total
    backoff = np.where(row_total > 0, DISCOUNT * row_types / safe_total, 1.0)
    transition = discounted + backoff * continuation[None, :]
    start_p = (start + PRIOR_WEIGHT * unigram) / (start.sum() + PRIOR_WEIGHT)
    seen = frozenset(ALL_TOKENS[i] for i in np.flatnonzero(uni + start + counts.sum(axis=0)))
    ref = data.get("reference")
    reference: tuple[float, float] | None = None
    if ref is not None:
        try:
            low, high = float(ref["low"]), float(ref["high"])
        except (TypeError, KeyError, ValueError) as exc:
            raise ChordModelError(f"{where}.reference: {ref!r} -- {{'low': x, 'high': y}}") from exc
        if not (math.isfinite(low) and math.isfinite(high) and high > low):
            raise ChordModelError(f"{where}.reference: {ref!r} -- finite low < high")
        reference = (low, high)
    return ModeTables(
        start=start_p,
        unigram=unigram,
        transition=transition,
        cadence=cadence,
        cadence_total=sum(cadence.values()),
        seen=seen,
        reference=reference,
    )


def _has_data(tables: ModeTables) -> bool:
    return bool(tables.seen)


class ChordTransitionModel:
    """Blended, smoothed chord-transition probabilities. Immutable: ``with_blend`` returns a new
    model sharing the tables. Build with :meth:`load` or :meth:`from_payload`."""

    __slots__ = ("_blend", "_mixed", "_origin", "_tables", "built_from")

    def __init__(
        self,
        tables: Mapping[str, Mapping[str, ModeTables]],
        *,
        blend: Mapping[str, float] | None = None,
        origin: str = "<memory>",
        built_from: Mapping[str, Any] | None = None,
    ) -> None:
        if not tables:
            raise ChordModelError(f"{origin}: sources: {{}} -- at least one source corpus")
        self._tables = {s: dict(m) for s, m in tables.items()}
        self._origin = origin
        self.built_from: dict[str, Any] = dict(built_from or {})
        self._blend = self._normalise_blend(blend)
        self._mixed = {mode: self._mix(mode) for mode in MODES}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_payload(
        cls,
        payload: Mapping[str, Any],
        *,
        blend: Mapping[str, float] | None = None,
        origin: str = "<memory>",
    ) -> ChordTransitionModel:
        """A model from the artifact's JSON object. Raises ChordModelError naming the field."""
        if not isinstance(payload, Mapping):
            raise ChordModelError(f"{origin}: {type(payload).__name__} -- a JSON object")
        if payload.get("version") != FORMAT_VERSION:
            raise ChordModelError(
                f"{origin}: version: {payload.get('version')!r} -- {FORMAT_VERSION} "
                "(rebuild with python -m training.chords.build_transitions)"
            )
        sources = payload.get("sources")
        if not isinstance(sources, Mapping) or not sources:
            raise ChordModelError(f"{origin}: sources: {sources!r} -- source -> mode -> counts")
        tables: dict[str, dict[str, ModeTables]] = {}
        for source, modes in sources.items():
            if not isinstance(modes, Mapping):
                raise ChordModelError(f"{origin}: sources.{source}: {modes!r} -- mode -> counts")
            unknown = set(modes) - set(MODES)
            if unknown:
                raise ChordModelError(
                    f"{origin}: sources.{source}: modes {sorted(unknown)} -- only {MODES}"
                )
            tables[str(source)] = {
                mode: smooth_tables(data, where=f"{origin}: sources.{source}.{mode}")
                for mode, data in modes.items()
            }
        built_from = payload.get("built_from")
        return cls(
            tables,
            blend=blend,
            origin=origin,
            built_from=built_from if isinstance(built_from, Mapping) else None,
        )

    @classmethod
    def load(
        cls, path: Path | None = None, *, blend: Mapping[str, float] | None = None
    ) -> ChordTransitionModel:
        """Read the artifact (default: the one shipped in ``generators/data``)."""
        if path is None:
            resource = resources.files(ARTIFACT_PACKAGE).joinpath(ARTIFACT_NAME)
            origin = f"{ARTIFACT_PACKAGE.replace('.', '/')}/{ARTIFACT_NAME}"
            try:
                text = resource.read_text(encoding="utf-8")
            except OSError as exc:
                raise ChordModelError(
                    f"{origin}: cannot read ({exc}) -- rebuild it with "
                    "python -m training.chords.build_transitions --bach DIR --billboard DIR "
                    f"--out {origin}"
                ) from exc
        else:
            origin = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ChordModelError(
                    f"{origin}: cannot read ({exc}) -- a chord-model JSON file"
                ) from exc
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ChordModelError(
                f"{origin}: not valid JSON ({exc}) -- rebuild the artifact"
            ) from exc
        model = cls.from_payload(payload, blend=blend, origin=origin)
        log.debug("chord model loaded from %s, blend %s", origin, model.blend)
        return model

    def with_blend(self, blend: Mapping[str, float]) -> ChordTransitionModel:
        """The same statistics under other source weights."""
        return ChordTransitionModel(
            self._tables, blend=blend, origin=self._origin, built_from=self.built_from
        )

    def _normalise_blend(self, blend: Mapping[str, float] | None) -> dict[str, float]:
        if blend is None:
            return {s: 1.0 / len(self._tables) for s in self._tables}
        unknown = sorted(set(blend) - set(self._tables))
        if unknown:
            raise ChordModelError(f"blend: sources {unknown} -- known: {sorted(self._tables)}")
        for s, w in blend.items():
            if not (isinstance(w, int | float) and math.isfinite(w) and w >= 0):
                raise ChordModelError(f"blend.{s}: {w!r} -- a finite weight >= 0")
        total = float(sum(blend.values()))
        if total <= 0:
            raise ChordModelError(f"blend: {dict(blend)!r} -- at least one positive weight")
        return {s: float(blend.get(s, 0.0)) / total for s in self._tables}

    def _parts(self, mode: str) -> list[tuple[float, ModeTables]]:
        """(weight, tables) of the sources that have data in ``mode``, weights summing to 1."""
        parts = [
            (w, self._tables[s][mode])
            for s, w in self._blend.items()
            if w > 0 and mode in self._tables[s] and _has_data(self._tables[s][mode])
        ]
        total = sum(w for w, _ in parts)
        return [(w / total, t) for w, t in parts]

    def _mix(self, mode: str) -> tuple[FloatArray, FloatArray]:
        v = len(ALL_TOKENS)
        parts = self._parts(mode)
        if not parts:
            log.warning(
                "%s: no %s-mode data under blend %s; uniform", self._origin, mode, self._blend
            )
            return np.full(v, 1.0 / v), np.full((v, v), 1.0 / v)
        start = sum((w * t.start for w, t in parts), np.zeros(v))
        transition = sum((w * t.transition for w, t in parts), np.zeros((v, v)))
        return start, transition

    # ------------------------------------------------------------------ queries
    @property
    def blend(self) -> dict[str, float]:
        """Source weights, summing to 1."""
        return dict(self._blend)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted(self._tables))

    def vocabulary(self, mode: str) -> tuple[str, ...]:
        """Tokens seen in ``mode`` in the blended sources, sorted."""
        seen: set[str] = set()
        for _, t in self._parts(_check_mode(mode)):
            seen |= t.seen
        return tuple(sorted(seen))

    def transition_prob(self, prev: str, nxt: str, mode: str) -> float:
        """P(next chord ``nxt`` | chord ``prev``) in ``mode``; > 0, sums to 1 over ALL_TOKENS."""
        _, transition = self._mixed[_check_mode(mode)]
        return float(transition[_INDEX[_valid(prev)], _INDEX[_valid(nxt)]])

    def next_distribution(self, prev: str | None, mode: str) -> dict[str, float]:
        """P(next | prev) for every token (the start distribution when ``prev`` is None)."""
        return dict(zip(ALL_TOKENS, self._row(prev, mode).tolist(), strict=True))

    def start_prob(self, tok: str, mode: str) -> float:
        """P(a passage starts on ``tok``) in ``mode``."""
        start, _ = self._mixed[_check_mode(mode)]
        return float(start[_INDEX[_valid(tok)]])

    def cadence_prob(self, prev: str, last: str, mode: str) -> float:
        """P(a phrase ends on the pair ``prev -> last``), a distribution over all token pairs."""
        i, j = _INDEX[_valid(prev)], _INDEX[_valid(last)]
        parts = self._parts(_check_mode(mode))
        if not parts:
            return 1.0 / len(ALL_TOKENS) ** 2
        p = 0.0
        for w, t in parts:
            prior = t.unigram[i] * t.transition[i, j]
            p += (
                w
                * (t.cadence.get((i, j), 0) + PRIOR_WEIGHT * prior)
                / (t.cadence_total + PRIOR_WEIGHT)
            )
        return float(p)

    def mean_log_likelihood(self, tokens: Sequence[str], mode: str) -> float:
        """Mean natural-log probability per chord: the start plus each transition, divided by
        the number of chords. Immediate repeats are merged first (a transition needs a change)."""
        merged = _merge(tokens)
        if not merged:
            raise ChordModelError("tokens: [] -- at least one chord token")
        start, transition = self._mixed[_check_mode(mode)]
        idx = [_INDEX[_valid(t)] for t in merged]
        total = math.log(start[idx[0]])
        for a, b in itertools.pairwise(idx):
            total += math.log(transition[a, b])
        return total / len(idx)

    def reference(self, mode: str) -> tuple[float, float]:
        """(low, high) mean log-likelihood anchors of ``mode`` under the blend."""
        parts = self._parts(_check_mode(mode))
        if not parts:
            uniform = -math.log(len(ALL_TOKENS))
            return uniform - 1.0, uniform + 1.0
        missing = [t for _, t in parts if t.reference is None]
        if missing:
            raise ChordModelError(
                f"{self._origin}: reference of {mode} mode missing -- rebuild the artifact with "
                "python -m training.chords.build_transitions"
            )
        low = sum(w * t.reference[0] for w, t in parts if t.reference is not None)
        high = sum(w * t.reference[1] for w, t in parts if t.reference is not None)
        return low, high

    def normalized_likelihood(self, tokens: Sequence[str], mode: str) -> float:
        """The mean log-likelihood mapped linearly from the reference (low, high) to [0, 1] and
        clipped: real progressions land high, uniformly random token strings near 0."""
        low, high = self.reference(mode)
        ll = self.mean_log_likelihood(tokens, mode)
        return float(min(1.0, max(0.0, (ll - low) / (high - low))))

    def sample_next(
        self,
        prev: str | None,
        mode: str,
        rng: np.random.Generator,
        temperature: float = 1.0,
    ) -> str:
        """Draw the next chord (a start chord when ``prev`` is None). ``temperature`` < 1
        sharpens the distribution, > 1 flattens it."""
        if not (math.isfinite(temperature) and temperature > 0):
            raise ChordModelError(f"temperature: {temperature!r} -- a finite number > 0")
        p = self._row(prev, mode)
        if temperature != 1.0:
            logp = np.log(p) / temperature
            p = np.exp(logp - logp.max())
            p /= p.sum()
        return ALL_TOKENS[weighted_index(rng, p)]

    def _row(self, prev: str | None, mode: str) -> FloatArray:
        start, transition = self._mixed[_check_mode(mode)]
        return start if prev is None else transition[_INDEX[_valid(prev)]]

    def __repr__(self) -> str:
        return f"ChordTransitionModel(origin={self._origin!r}, blend={self._blend!r})"


def _valid(token: str) -> str:
    if token not in _INDEX:
        parse_token(token)  # raises with the explanation
    return token


def _merge(tokens: Sequence[str]) -> list[str]:
    out: list[str] = []
    for t in tokens:
        if not out or out[-1] != t:
            out.append(t)
    return out
