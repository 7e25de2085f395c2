"""Sampling the drum transformer on onnxruntime (through :class:`inference.onnx.OnnxModel`): whole
patterns conditioned on style and meter, batches of patterns, and one bar regenerated in the
context of the bars before it.

Two models are shipped (:func:`load_for_meter` picks one). The 4/4 model
(``drum_transformer.onnx``) was trained on the Groove MIDI Dataset, which is almost all 4/4 (96%
of its training bars; 442 bars of 3/4, under 200 each of 5/8, 6/8 and 5/4), so it samples 4/4
alone. The meters model (``drum_transformer_meters.onnx``) is that one fine-tuned with bars of
other meters cut from Groove's real 4/4 beats along the beats a drummer plays in them
(:mod:`training.drums.augment`: 3/4, 2/4, 5/4, 7/8 as 2+2+3 and 5/8 on the 16ths; 6/8, 9/8 and
12/8 from the bars played with a triplet feel), then fine-tuned again from itself when 7/8's cut
came to put its backbeats on the group starts and 9/8 and 12/8 got more cut bars; its 4/4
drifted (softer and busier than Groove's), so 4/4 stays with the first. A model samples the
meters with at least :data:`MIN_METER_BARS` training bars, real and cut
(:attr:`DrumTransformer.meters`, counted in the sidecar): the meters model 3/4, 2/4, 5/4, 5/8,
6/8, 7/8, 9/8 and 12/8 in their usual groupings (``bench/drum_meter_fit.py`` measures their
accents against the validation beats cut the same way). Every other meter the proposals allow
(7/4, 6/4, 2/2, 11/8, 15/16, ..., and a proposal's own grouping such as 5/4 as 2+3) is played
in cells (:mod:`generators.drums.cells`): each bar a sequence of bars, or first groups of bars,
of sampled meters whose group starts line up with the meter's (7/4 as 4/4 + 3/4, 11/8 as
6/8 + 5/8). Each cell meter's pattern is sampled whole, in one batch for all rows, its bars
taken in turn by the cells of each bar (the same cell sequence every bar), the best of
:data:`CELL_DRAWS` draws by how it keeps its own meter; a regenerated bar's cells are prompted
with the earlier bars cut into cells the same way. Only triplet grids are left to the style
skeletons.
Decoding (:mod:`generators.drums.decoding`) follows the token grammar, so every sample is a
valid genome on straight 16ths; it runs the exported step graph with a key/value cache, one
call per token for a whole batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Final

import numpy as np

from generators.drums.cells import CellPlan, plan_cells
from generators.drums.decoding import Row, decode_cached, decode_window
from generators.drums.genome import DrumGenome, Hit
from generators.drums.grid import Grid
from generators.drums.timekeeping import HitTable, TimeKept, time_kept
from generators.drums.tokens import (
    CLASS_VOICE,
    INDEX,
    VELOCITY_EDGES,
    VOCAB,
    VOCAB_VERSION,
    VOICE_CLASS,
    BarHits,
    TokenHit,
    decode_bars,
    encode_bar,
    header,
    meter_token,
    steps_per_bar,
)
from inference.onnx import ModelFileError, OnnxModel
from music.meter import Meter

logger = logging.getLogger(__name__)

ARTIFACT_PACKAGE: Final = "generators.data"
ARTIFACT_NAME: Final = "drum_transformer.onnx"
METERS_ARTIFACT_NAME: Final = "drum_transformer_meters.onnx"
#: A meter is sampled only when the training data held at least this many of its bars.
MIN_METER_BARS: Final = 1000
#: Sampling temperature whose samples match the Groove validation beats best (bar-to-bar
#: similarity median 0.62 against the real 0.61; at 1.0 it is 0.53, too loose).
DEFAULT_TEMPERATURE: Final = 0.9
#: A meter played in cells draws each cell pattern this many times and keeps the draw that
#: keeps its meter best (:attr:`generators.drums.timekeeping.TimeKept.total`): the cut meters'
#: samples under-play their backbeat, and a composed bar needs every one of its cells to keep it.
CELL_DRAWS: Final = 3
#: Generator styles whose transformer samples join a population's bank: those whose token the
#: model learned from at least 900 training bars (rock, funk, shuffle, breakbeat). Half-time (166
#: bars) samples often lack the backbeat; the genre styles (swing, bossa, hip-hop) have skeletons
#: learned from the same Groove labels that keep their idiom (ride, clave, backbeat), which the
#: model's samples do not reliably (bench/genre_drums.py).
BANK_STYLES: Final = ("rock", "funk", "shuffle", "breakbeat")
#: Generator style -> the transformer's style token.
STYLE_TOKENS: Final[dict[str, str]] = {
    "rock": "rock",
    "funk": "funk",
    "half-time": "halftime",
    "shuffle": "shuffle",
    "breakbeat": "breakbeat",
    "swing": "jazz",
    "bossa": "latin",
    "hip-hop": "breakbeat",
}


def _default_path(name: str = ARTIFACT_NAME) -> Path:
    return Path(str(resources.files(ARTIFACT_PACKAGE).joinpath(name)))


def load_for_meter(meter: Meter, *, threads: int = 1) -> DrumTransformer:
    """The shipped model that plays ``meter``: the 4/4 model for 4/4, the meters model for the
    meters it samples; for a meter played in cells (:mod:`generators.drums.cells`) the 4/4
    model where its cells are all 4/4 bars (2/2, 8/4, 4/1), else the meters model."""
    main = DrumTransformer.load(threads=threads)
    if main.samples_directly(meter):
        return main
    meters = DrumTransformer.load(_default_path(METERS_ARTIFACT_NAME), threads=threads)
    if meters.samples_directly(meter):
        return meters
    plan = main.cell_plan(meter)
    if plan is not None and plan == meters.cell_plan(meter):
        return main
    return meters if meters.supports(meter) else main


def transformer_style(style: str) -> str:
    """A generator style (``half-time``) or a transformer style (``halftime``, ``jazz``) -> the
    transformer's style name."""
    if style in STYLE_TOKENS:
        return STYLE_TOKENS[style]
    if f"STYLE_{style}" in INDEX:
        return style
    raise ValueError(
        f"drum style: {style!r} -- one of {', '.join(STYLE_TOKENS)} or a transformer style "
        f"{', '.join(t[6:] for t in VOCAB if t.startswith('STYLE_'))}"
    )


def genome_bar_hits(genome: DrumGenome, bar: int) -> BarHits:
    """One bar of a genome as token hits (voices without a class are left out; where two
    voices share a class and step the louder one is kept)."""
    spb = genome.grid.steps_per_bar
    best: dict[tuple[int, int], Hit] = {}
    for h in genome.bar_hits(bar):
        cls = VOICE_CLASS.get(h.voice)
        if cls is None:
            continue
        key = (h.step - bar * spb, cls)
        if key not in best or h.velocity > best[key].velocity:
            best[key] = h
    return tuple(
        (s, TokenHit(cls=c, velocity=h.velocity, offset=h.offset))
        for (s, c), h in sorted(best.items())
    )


def _played(step: int, h: TokenHit, rng: np.random.Generator) -> Hit:
    """A decoded hit on ``step`` as played: the velocity drawn within 10 of its bin's centre
    (inside the bin) and the micro-offset within 0.1 step of its bin's centre, so repeated hits
    are not all identical."""
    v_bin = max(i for i, e in enumerate(VELOCITY_EDGES) if h.velocity >= e)
    lo = VELOCITY_EDGES[v_bin]
    hi = VELOCITY_EDGES[v_bin + 1] - 1 if v_bin + 1 < len(VELOCITY_EDGES) else 127
    half = min(hi - lo, 20) / 2
    vel = int(min(hi, max(lo, round(h.velocity + rng.uniform(-half, half)))))
    off = float(min(0.5, max(-0.5, h.offset + rng.uniform(-0.1, 0.1))))
    return Hit(step=step, voice=CLASS_VOICE[h.cls], velocity=vel, offset=off)


def time_kept_in_cells(genome: DrumGenome, plan: CellPlan) -> TimeKept:
    """How a pattern of a meter played in cells keeps each cell's own meter
    (:func:`generators.drums.timekeeping.time_kept` of each cell meter's bars, as the model
    sampled them): the least, over its cell meters, share of their bars with a kick on the
    downbeat and of their loud snares on their backbeat."""
    if genome.grid.meter != plan.meter:
        raise ValueError(f"genome meter: {genome.grid.meter} -- the plan's, {plan.meter}")
    streams = plan.split([genome_bar_hits(genome, b) for b in range(genome.bars)])
    return TimeKept.least(
        time_kept(HitTable.from_bars(bars, meter)) for meter, bars in streams.items()
    )


class DrumTransformer:
    """The ONNX drum transformer and its sidecar (vocabulary, config, training summary)."""

    def __init__(
        self,
        model: OnnxModel,
        step: OnnxModel | None = None,
        *,
        min_meter_bars: int = MIN_METER_BARS,
    ) -> None:
        side = model.sidecar
        if side.get("vocab") != list(VOCAB) or side.get("vocab_version") != VOCAB_VERSION:
            raise ModelFileError(
                f"{model.path}: its sidecar vocabulary does not match this program's drum tokens "
                f"(version {VOCAB_VERSION}); re-export it with training.drums.train"
            )
        self.model = model
        self.step = step
        cfg = side["config"]
        self.context = int(cfg["context"])
        self.layers = int(cfg["n_layer"])
        self.heads = int(cfg["n_head"])
        self.head_dim = int(cfg["d_model"]) // self.heads
        data = side.get("data", {})
        per_meter = dict(data.get("train", {}).get("bars_per_meter", {}))
        for m, n in data.get("train_augmented", {}).get("bars_per_meter", {}).items():
            per_meter[m] = per_meter.get(m, 0) + n
        self.meters: frozenset[Meter] = frozenset(
            Meter.parse(m)
            for m, n in per_meter.items()
            if n >= min_meter_bars and meter_token(*map(int, m.split("/"))) is not None
        )

    @classmethod
    def load(
        cls, path: Path | None = None, *, threads: int = 1, min_meter_bars: int = MIN_METER_BARS
    ) -> DrumTransformer:
        """Load ``path`` (default: the shipped ``generators/data/drum_transformer.onnx``) and
        its step graph (named in the sidecar; sampling falls back to the window graph without
        it). Meters with fewer than ``min_meter_bars`` training bars are not sampled."""
        model = OnnxModel.load(path or _default_path(), threads=threads)
        step_name = model.sidecar.get("step_model")
        step = None
        if step_name:
            step_file = model.path.with_name(str(step_name))
            step = OnnxModel.load(
                step_file, threads=threads, sidecar_path=model.path.with_suffix(".json")
            )
        return cls(model, step, min_meter_bars=min_meter_bars)

    # ------------------------------------------------------------------ support
    def samples_directly(self, meter: Meter) -> bool:
        """True when the model samples this meter itself (enough training bars)."""
        return meter in self.meters

    def cell_plan(self, meter: Meter) -> CellPlan | None:
        """The cells of the sampled meters a bar of ``meter`` is played as
        (:func:`generators.drums.cells.plan_cells`); None for a meter sampled directly."""
        if self.samples_directly(meter):
            return None
        return plan_cells(meter, self.meters)

    def supports(self, meter: Meter) -> bool:
        """True when the model plays this meter: sampled directly, or in cells."""
        return self.samples_directly(meter) or self.cell_plan(meter) is not None

    def supports_genome(self, genome: DrumGenome) -> bool:
        """True when a bar of ``genome`` can be regenerated: a played meter on 16th steps."""
        grid = genome.grid
        return self.supports(grid.meter) and grid.steps_per_unit == max(
            1, 16 // grid.meter.denominator
        )

    def _check_meter(self, meter: Meter) -> None:
        if not self.supports(meter):
            raise ValueError(
                f"meter: {meter} -- the drum transformer samples "
                f"{', '.join(sorted(str(m) for m in self.meters))}; use a style skeleton"
            )

    # ------------------------------------------------------------------ sampling core
    def _decode(
        self, rows: list[Row], spb: int, rng: np.random.Generator, temperature: float
    ) -> list[list[int]]:
        """Extend every row by its wanted bars; returns each row's new tokens (from BAR)."""
        if self.step is not None:
            shape = (self.layers, len(rows), self.heads, self.context, self.head_dim)
            decode_cached(self.step, rows, shape, spb, rng, temperature)
        else:
            decode_window(self.model, rows, self.context, spb, rng, temperature)
        return [r.new for r in rows]

    def _to_hits(
        self, tokens: list[int], grid: Grid, first_bar: int, rng: np.random.Generator
    ) -> list[Hit]:
        """Decode new bar tokens into hits from ``first_bar`` on, as played (:func:`_played`)."""
        spb = grid.steps_per_bar
        return [
            _played((first_bar + b) * spb + step, h, rng)
            for b, bar in enumerate(decode_bars(tokens))
            for step, h in bar
        ]

    def _sample_cells(
        self,
        plan: CellPlan,
        heads: Sequence[tuple[str, str]],
        prompts: Sequence[Sequence[BarHits]],
        bars: int,
        rng: np.random.Generator,
        temperature: float,
    ) -> list[list[tuple[int, TokenHit]]]:
        """``bars`` new bars of ``plan.meter`` per row (a row: a style and kind; its prompt,
        whole bars of the plan's meter before them), every row's cells of one meter sampled
        in one batch, the cells of a bar one after another in its meter's pattern (the best
        of :data:`CELL_DRAWS` draws). Returns each row's new hits as (step from the first new
        bar, hit)."""
        slots = plan.slots()
        cells_of: dict[Meter, list[list[BarHits]]] = {}
        for meter, count in plan.streams:
            rows = []
            for (style, kind), prompt in zip(heads, prompts, strict=True):
                head = header(style, meter.numerator, meter.denominator, kind)
                tokens = list(head)
                for bar in plan.split(prompt)[meter]:
                    tokens += encode_bar(bar)
                rows += [
                    Row(tokens=list(tokens), header_len=len(head), bars_wanted=bars * count)
                    for _ in range(CELL_DRAWS)
                ]
            spb = steps_per_bar(meter.numerator, meter.denominator)
            drawn = [decode_bars(t) for t in self._decode(rows, spb, rng, temperature)]
            cells_of[meter] = [
                max(
                    drawn[r : r + CELL_DRAWS],
                    key=lambda d: time_kept(HitTable.from_bars(d, meter)).total,
                )
                for r in range(0, len(drawn), CELL_DRAWS)
            ]
        spb = Grid.for_meter(plan.meter, "straight").steps_per_bar
        per_bar = dict(plan.streams)
        out = []
        for r in range(len(heads)):
            hits = []
            for b in range(bars):
                for cell, k in slots:
                    played = cells_of[cell.meter][r]
                    i = b * per_bar[cell.meter] + k
                    if i < len(played):
                        hits += [(b * spb + s, h) for s, h in cell.place(played[i])]
            out.append(hits)
        return out

    # ------------------------------------------------------------------ public sampling
    def sample_many(
        self,
        n: int,
        style: str,
        meter: Meter,
        bars: int,
        rng: np.random.Generator,
        temperature: float = DEFAULT_TEMPERATURE,
        *,
        kind: str = "beat",
    ) -> list[DrumGenome]:
        """``n`` patterns of ``bars`` bars sampled in one batch."""
        return self.sample_styles(n, (style,), meter, bars, rng, temperature, kind=kind)

    def sample_styles(
        self,
        n: int,
        styles: Sequence[str],
        meter: Meter,
        bars: int,
        rng: np.random.Generator,
        temperature: float = DEFAULT_TEMPERATURE,
        *,
        kind: str = "beat",
    ) -> list[DrumGenome]:
        """``n`` patterns of ``bars`` bars for each of ``styles`` (in that order), every style's
        rows decoded together in one batch: one model call per token for all of them."""
        self._check_meter(meter)
        if n < 1 or bars < 1 or not styles:
            raise ValueError(
                f"n, bars, styles: {n!r}, {bars!r}, {list(styles)!r} -- at least one pattern of "
                "one bar for at least one style"
            )
        plan = self.cell_plan(meter)
        if plan is not None:
            return self._sample_in_cells(plan, n, styles, bars, rng, temperature, kind)
        heads = [
            header(transformer_style(style), meter.numerator, meter.denominator, kind)
            for style in styles
        ]
        rows = [
            Row(tokens=list(head), header_len=len(head), bars_wanted=bars)
            for head in heads
            for _ in range(n)
        ]
        grid = Grid.for_meter(meter, "straight")
        out = []
        for i, toks in enumerate(self._decode(rows, grid.steps_per_bar, rng, temperature)):
            hits = self._to_hits(toks, grid, 0, rng)
            style = styles[i // n]
            out.append(
                DrumGenome(grid=grid, bars=bars, hits=(), style=f"{style} (transformer)").with_hits(
                    hits
                )
            )
        return out

    def _sample_in_cells(
        self,
        plan: CellPlan,
        n: int,
        styles: Sequence[str],
        bars: int,
        rng: np.random.Generator,
        temperature: float,
        kind: str,
    ) -> list[DrumGenome]:
        """:meth:`sample_styles` for a meter played in cells."""
        heads = [(transformer_style(style), kind) for style in styles for _ in range(n)]
        rows = self._sample_cells(plan, heads, [()] * len(heads), bars, rng, temperature)
        grid = Grid.for_meter(plan.meter, "straight")
        logger.debug("drum transformer plays %s as %s", plan.meter, plan)
        return [
            DrumGenome(
                grid=grid, bars=bars, hits=(), style=f"{styles[i // n]} (transformer)"
            ).with_hits(_played(step, h, rng) for step, h in hits)
            for i, hits in enumerate(rows)
        ]

    def sample_bars(
        self,
        style: str,
        meter: Meter,
        bars: int,
        rng: np.random.Generator,
        temperature: float = DEFAULT_TEMPERATURE,
        *,
        kind: str = "beat",
    ) -> DrumGenome:
        """One pattern of ``bars`` bars of ``style`` (a generator or transformer style) in
        ``meter``. Raises ValueError for a meter the model does not sample."""
        return self.sample_many(1, style, meter, bars, rng, temperature, kind=kind)[0]

    def regenerate_bar(
        self,
        genome: DrumGenome,
        bar_index: int,
        rng: np.random.Generator,
        temperature: float = DEFAULT_TEMPERATURE,
        *,
        style: str = "any",
    ) -> DrumGenome:
        """A copy of ``genome`` whose bar ``bar_index`` is sampled anew, given the bars before
        it. Voices the model does not know (shaker, cowbell, tambourine) stay as they were."""
        if not self.supports_genome(genome):
            raise ValueError(
                f"genome grid: {genome.grid.meter} with {genome.grid.steps_per_unit} steps per "
                "unit -- the drum transformer regenerates bars of sampled meters on 16ths"
            )
        if not 0 <= bar_index < genome.bars:
            raise ValueError(f"bar_index: {bar_index!r} -- 0..{genome.bars - 1}")
        meter = genome.grid.meter
        spb = genome.grid.steps_per_bar
        plan = self.cell_plan(meter)
        if plan is not None:
            before = [genome_bar_hits(genome, b) for b in range(bar_index)]
            kind = (transformer_style(style), "beat")
            hits = self._sample_cells(plan, [kind], [before], 1, rng, temperature)[0]
            new = [_played(bar_index * spb + step, h, rng) for step, h in hits]
        else:
            head = header(transformer_style(style), meter.numerator, meter.denominator, "beat")
            prompt = list(head)
            for b in range(bar_index):
                prompt += encode_bar(genome_bar_hits(genome, b))
            row = Row(tokens=prompt, header_len=len(head), bars_wanted=1)
            toks = self._decode([row], spb, rng, temperature)[0]
            new = self._to_hits(toks, genome.grid, bar_index, rng)
        lo, hi = bar_index * spb, (bar_index + 1) * spb
        kept = [h for h in genome.hits if not lo <= h.step < hi or h.voice not in VOICE_CLASS]
        return genome.with_hits([*kept, *new])
