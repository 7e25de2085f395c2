"""The chord genome: one entry per bar, each bar one or two chords with their length in quarter
notes, so harmonic rhythm can vary. Values are frozen; operators build new genomes."""

from __future__ import annotations

from dataclasses import dataclass

from music.chords import QUALITIES, TRIAD_OF, RomanChord, chord_symbol, parse_roman, roman_name
from music.keys import Key
from music.meter import Meter


@dataclass(frozen=True, slots=True)
class ChordGene:
    """One chord: semitones above the tonic, quality, inversion and length in quarter notes."""

    offset: int
    quality: str
    inversion: int
    beats: float

    def __post_init__(self) -> None:
        # RomanChord validates offset, quality and inversion together.
        RomanChord(offset=self.offset, quality=self.quality, inversion=self.inversion)
        if self.beats <= 0:
            raise ValueError(
                f"ChordGene.beats: {self.beats!r} -- a positive length in quarter notes"
            )

    @property
    def roman(self) -> RomanChord:
        return RomanChord(offset=self.offset, quality=self.quality, inversion=self.inversion)

    @property
    def token(self) -> str:
        """The transition-model token ``"{offset}:{triad}"``."""
        return f"{self.offset}:{TRIAD_OF[self.quality]}"

    def with_(self, **changes: object) -> ChordGene:
        values: dict[str, object] = {
            "offset": self.offset,
            "quality": self.quality,
            "inversion": self.inversion,
            "beats": self.beats,
        }
        values.update(changes)
        return ChordGene(**values)  # type: ignore[arg-type]


Bar = tuple[ChordGene, ...]
ChordGenome = tuple[Bar, ...]


def bar_splits(meter: Meter) -> tuple[tuple[float, ...], ...]:
    """The ways one bar may be divided between chords, in quarter notes: the whole bar, or two
    chords split at the felt-beat boundary nearest the middle (7/8 -> 2.0 + 1.5)."""
    whole = (meter.bar_qn,)
    offsets = meter.beat_offsets_qn()
    if len(offsets) < 2:
        return (whole,)
    middle = meter.bar_qn / 2
    split = min(offsets[1:], key=lambda o: (abs(o - middle), o))
    return (whole, (split, meter.bar_qn - split))


def validate_genome(genome: ChordGenome, meter: Meter) -> None:
    """Raise ValueError unless every bar's chords fill exactly one bar of ``meter``."""
    for i, bar in enumerate(genome):
        total = sum(g.beats for g in bar)
        if not bar or abs(total - meter.bar_qn) > 1e-6:
            raise ValueError(
                f"chord genome bar {i + 1}: {total!r} quarter notes -- each bar must hold "
                f"{meter.bar_qn} quarter notes of {meter}"
            )


def flatten(genome: ChordGenome) -> tuple[ChordGene, ...]:
    """The chords in order, bar boundaries dropped."""
    return tuple(g for bar in genome for g in bar)


def tokens(genome: ChordGenome) -> tuple[str, ...]:
    """Transition-model tokens with immediate repeats merged (a transition needs a change)."""
    out: list[str] = []
    for g in flatten(genome):
        if not out or out[-1] != g.token:
            out.append(g.token)
    return tuple(out)


def describe(genome: ChordGenome, key: Key) -> dict[str, object]:
    """What a musician reads in review.yml: roman numerals and chord names, bar by bar."""
    romans = [" ".join(roman_name(g.roman, key) for g in bar) for bar in genome]
    names = [" ".join(chord_symbol(g.roman.in_key(key), key) for g in bar) for bar in genome]
    rhythm = [[g.beats for g in bar] for bar in genome]
    return {
        "progression": " | ".join(romans),
        "chords": " | ".join(names),
        "bars": len(genome),
        "harmonic_rhythm_qn": rhythm,
    }


# Workhorse progressions (four bars, one chord a bar), written for each key family.
WORKHORSES: dict[str, tuple[tuple[str, ...], ...]] = {
    "major": (
        ("I", "V", "vi", "IV"),
        ("vi", "IV", "I", "V"),
        ("I", "vi", "IV", "V"),
        ("I", "IV", "V", "I"),
        ("ii7", "V7", "Imaj7", "Imaj7"),
        ("I", "IV", "vi", "V"),
        ("I", "bVII", "IV", "I"),
        ("IV", "V", "iii", "vi"),
    ),
    "minor": (
        ("i", "VII", "VI", "VII"),
        ("i", "iv", "V", "i"),
        ("i", "VI", "III", "VII"),
        ("i", "iv", "VII", "III"),
        ("VI", "VII", "i", "i"),
        ("i", "VI", "iv", "V"),
        ("iiø7", "V7", "i", "i"),
        ("i", "III", "VII", "iv"),
    ),
}


def workhorse_genomes(key: Key, meter: Meter, bars: int) -> tuple[ChordGenome, ...]:
    """The workhorse progressions in ``key``, one chord a bar, repeated to ``bars`` bars. The
    numerals are read in the key's :attr:`~music.keys.Key.numeral_key` (natural minor for
    harmonic and melodic minor, so the written VII stays the subtonic)."""
    out: list[ChordGenome] = []
    numeral_key = key.numeral_key
    for numerals in WORKHORSES[key.family]:
        genes = []
        for i in range(bars):
            rc = parse_roman(numerals[i % len(numerals)], numeral_key)
            genes.append((ChordGene(rc.offset, rc.quality, rc.inversion, meter.bar_qn),))
        out.append(tuple(genes))
    return tuple(out)


def splice_bars(inside: ChordGenome, outside: ChordGenome, first: int, last: int) -> ChordGenome:
    """``outside``'s bars with bars ``first``..``last`` (0-based, inclusive) from ``inside``."""
    return tuple(inside[i] if first <= i <= last else bar for i, bar in enumerate(outside))


def quality_options(triad: str) -> tuple[str, ...]:
    """Qualities with the given triad family (the extensions a chord may take)."""
    return tuple(q for q in QUALITIES if TRIAD_OF[q] == triad)


def to_data(genome: ChordGenome) -> list[list[dict[str, object]]]:
    """A JSON-friendly form: bars of chords with offset, quality, inversion, beats."""
    return [
        [
            {"offset": g.offset, "quality": g.quality, "inversion": g.inversion, "beats": g.beats}
            for g in bar
        ]
        for bar in genome
    ]


def from_data(data: object) -> ChordGenome:
    """Inverse of :func:`to_data`; raises ValueError naming the bad entry."""
    if not isinstance(data, list) or not data:
        raise ValueError(f"chord genome: {data!r} -- a non-empty list of bars")
    bars: list[Bar] = []
    for i, bar in enumerate(data):
        if not isinstance(bar, list) or not bar:
            raise ValueError(f"chord genome bar {i + 1}: {bar!r} -- a non-empty list of chords")
        genes = []
        for chord in bar:
            if not isinstance(chord, dict):
                raise ValueError(f"chord genome bar {i + 1}: {chord!r} -- a chord mapping")
            genes.append(
                ChordGene(
                    offset=int(chord["offset"]),
                    quality=str(chord["quality"]),
                    inversion=int(chord["inversion"]),
                    beats=float(chord["beats"]),
                )
            )
        bars.append(tuple(genes))
    return tuple(bars)
