"""Bass, chord and melody rhythms by genre, tempo and mood, measured on the MIDI the parts
write (not on style labels), in every meter the proposals allow: jazz walks and approaches
roots by step, ambient holds long roots, funk plays sixteenths off the eighths; the chords comp
differently per genre and the key verdict weighs the comped notes as written; a tender melody
sings fewer, longer notes than a driving one."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest

from evolution.fitness.key_verdicts import chord_verdicts, heard_chords
from generators.bass.operators import BassOps
from generators.bass.styles import style_weights
from generators.bass.to_midi import realise
from generators.chords.comping import STYLES, Comping, bar_hits, comp_style
from generators.chords.genome import ChordGene, ChordGenome, flatten
from generators.chords.voicing import ChordRegister, chords_part
from generators.harmony import Harmony, chord_timeline
from generators.melody.operators import MelodyOps
from generators.melody.pace import melody_density
from generators.melody.to_midi import melody_notes
from music.chords import parse_roman
from music.keys import Key
from music.meter import Meter
from music.notes import Note
from scoring.key_constraint import progression_facts
from scoring.key_estimate import estimate_keys
from scoring.timeline import tile_onsets

METERS = [Meter(4, 4), Meter(3, 4), Meter(6, 8), Meter(5, 4), Meter(7, 8)]
GENRES: dict[str, tuple[str, ...]] = {
    "jazz": ("jazz",),
    "folk": ("folk",),
    "rock": ("rock",),
    "electronic": ("electronic",),
    "ambient": ("ambient",),
    "funk": ("funk", "hip-hop"),
}
KEY = Key(2, "minor")
BARS = 8
POPULATION = 30
_EPS = 1e-6


def _harmony(meter: Meter) -> Harmony:
    """i iv VII III, a chord a bar: roots a fourth or fifth apart, so only a line that walks
    reaches each by step."""
    return chord_timeline(_progression(meter)[:4], KEY, meter, bars=BARS)


def _lines(genres: Sequence[str], meter: Meter, seed: int = 5) -> list[tuple[Note, ...]]:
    """A small population of bass lines for these genres, as realised notes."""
    harmony = _harmony(meter)
    beat_kicks = tuple(s for s, _ in meter.felt_beats()[::2])
    kicks = tile_onsets(beat_kicks, meter.bar_qn, BARS * meter.bar_qn)
    styles = tuple(style_weights(genres, []).items())
    ops = BassOps(harmony=harmony, meter=meter, bars=BARS, kicks=kicks, styles=styles)
    rng = np.random.default_rng(seed)
    return [realise(ops.random(rng), harmony, KEY, meter, bars=BARS) for _ in range(POPULATION)]


def _walks(notes: Sequence[Note], harmony: Harmony, meter: Meter) -> bool:
    """About one note per beat (a quarter note in x/4, a felt beat in x/8), and every chord's
    root reached by a step (at most two semitones) from the note before."""
    per_bar = meter.bar_qn if meter.denominator <= 4 else len(meter.felt_beats())
    beats = BARS * per_bar
    if not 0.9 <= len(notes) / beats <= 1.1:
        return False
    changes = {round(c.start + b * harmony.total_qn, 6) for b in range(2) for c in harmony.chords}
    approached = 0
    arrivals = 0
    for before, at in itertools.pairwise(notes):
        if round(at.start, 6) in changes:
            arrivals += 1
            root = harmony.at(at.start).bass
            approached += at.pitch % 12 == root and 0 < abs(at.pitch - before.pitch) <= 2
    return arrivals > 0 and approached == arrivals


def _off_sixteenth_bars(notes: Sequence[Note], meter: Meter) -> float:
    """The share of bars with an onset on a sixteenth that is not an eighth."""
    bars = {
        int(n.start // meter.bar_qn) for n in notes if abs(n.start * 2 - round(n.start * 2)) > _EPS
    }
    return len(bars) / BARS


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_jazz_bass_walks_one_note_a_beat_into_each_root_by_step(meter: Meter) -> None:
    harmony = _harmony(meter)
    jazz = [_walks(n, harmony, meter) for n in _lines(GENRES["jazz"], meter)]
    rock = [_walks(n, harmony, meter) for n in _lines(GENRES["rock"], meter)]
    assert np.mean(jazz) >= 0.55
    assert np.mean(rock) < np.mean(jazz) - 0.3


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_ambient_bass_holds_long_roots(meter: Meter) -> None:
    harmony = _harmony(meter)
    long = []
    for notes in _lines(GENRES["ambient"], meter):
        mean = float(np.mean([n.duration for n in notes]))
        roots = all(n.pitch % 12 == harmony.at(n.start).bass for n in notes)
        long.append(mean >= meter.bar_qn / 2 and roots)
    assert np.mean(long) >= 0.55


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_funk_bass_plays_sixteenths_off_the_eighths(meter: Meter) -> None:
    funk = [_off_sixteenth_bars(n, meter) == 1.0 for n in _lines(GENRES["funk"], meter)]
    ambient = [_off_sixteenth_bars(n, meter) > 0 for n in _lines(GENRES["ambient"], meter)]
    assert np.mean(funk) >= 0.55
    assert np.mean(ambient) <= 0.2


def test_the_genre_outweighs_a_mood_word() -> None:
    weights = style_weights(["jazz"], ["dark"])
    assert max(weights, key=weights.__getitem__) == "walking"
    assert weights["walking"] > 2 * weights["pedal"]


# ------------------------------------------------------------------------------- chords


def _progression(meter: Meter) -> ChordGenome:
    """Four bars of one chord, then a bar with a change inside it (off the pattern's hits)."""
    bars: list[tuple[ChordGene, ...]] = []
    for numeral in ("i", "iv", "VII", "III"):
        rc = parse_roman(numeral, KEY.numeral_key)
        bars.append((ChordGene(rc.offset, rc.quality, rc.inversion, meter.bar_qn),))
    five, one = parse_roman("v", KEY.numeral_key), parse_roman("i", KEY.numeral_key)
    first = meter.felt_beats()[1][0] + 0.25
    bars.append(
        (
            ChordGene(five.offset, five.quality, five.inversion, first),
            ChordGene(one.offset, one.quality, one.inversion, meter.bar_qn - first),
        )
    )
    return tuple(bars)


def _onsets_per_bar(notes: Sequence[Note], meter: Meter) -> tuple[float, ...]:
    first_bar = sorted({round(n.start, 6) for n in notes if n.start < meter.bar_qn - _EPS})
    return tuple(first_bar)


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_chord_rhythms_differ_by_genre_as_designed(meter: Meter) -> None:
    genome = _progression(meter)
    patterns: dict[str, tuple[float, ...]] = {}
    for genre, words in GENRES.items():
        comping = Comping(comp_style(words), meter)
        part = chords_part(genome, KEY, comping=comping)
        onsets = _onsets_per_bar(part.notes, meter)
        lengths = [n.duration for n in part.notes if n.start < meter.bar_qn - _EPS]
        patterns[genre] = onsets
        eighths = [o for o in onsets if abs(o * 2 - round(o * 2)) < _EPS]
        if genre == "ambient":
            assert onsets == (0.0,) and lengths and min(lengths) == meter.bar_qn
        elif genre == "jazz":
            assert 2 <= len(onsets) <= 3 and max(lengths) <= 0.75 + _EPS
            beat_starts = {s for s, _ in meter.felt_beats()}
            assert any(o not in beat_starts for o in onsets)  # an off-beat eighth
        elif genre == "funk":
            assert max(lengths) == 0.25
            assert len(eighths) < len(onsets)  # sixteenths off the eighths
        elif genre in ("rock", "electronic"):
            assert onsets == tuple(i * 0.5 for i in range(round(meter.bar_qn * 2)))
        else:  # folk strums every felt beat, with up-strums between
            beat_starts = {s for s, _ in meter.felt_beats()}
            assert beat_starts < set(onsets)
    distinct = {patterns[g] for g in ("jazz", "funk", "rock", "folk", "ambient")}
    assert len(distinct) == 5
    # Every chord of the progression is struck when it starts, whatever the pattern.
    change = meter.bar_qn * 4 + meter.felt_beats()[1][0] + 0.25
    for style in STYLES:
        part = chords_part(genome, KEY, comping=Comping(style, meter))
        assert any(abs(n.start - change) < _EPS for n in part.notes)


def test_a_pad_sustains_whatever_the_genre() -> None:
    assert comp_style(["funk"], sustain=True) == "sustained"
    assert comp_style(["post-rock", "jazz"]) == "sustained"  # the first genre decides
    assert comp_style([]) == "sustained"


@pytest.mark.parametrize("meter", METERS, ids=str)
@pytest.mark.parametrize("style", STYLES)
def test_the_verdict_hears_the_comped_notes(meter: Meter, style: str) -> None:
    """The key verdict weighs each pitch class by how long the comped part sounds it, so the
    key it hears is the key of the MIDI as written."""
    genome = _progression(meter)
    comping = Comping(style, meter)
    register = ChordRegister(velocity=66)
    written = np.zeros(12)
    for note in chords_part(genome, KEY, register=register, comping=comping).notes:
        written[note.pitch % 12] += note.duration
    facts = progression_facts(
        heard_chords(flatten(genome), KEY, register, comping), KEY, bar_qn=meter.bar_qn
    )
    np.testing.assert_allclose(np.asarray(facts.histogram), written)
    verdict = chord_verdicts([genome], KEY, meter, register, comping)[0]
    heard = estimate_keys(written[None])[0]
    assert Key.parse(verdict.heard) == Key(heard.tonic, heard.family)


@pytest.mark.parametrize("meter", METERS, ids=str)
@pytest.mark.parametrize("style", STYLES)
def test_bar_hits_fit_inside_the_bar(meter: Meter, style: str) -> None:
    hits = bar_hits(style, meter)
    assert hits[0][0] == 0.0
    for (a, da), (b, _) in itertools.pairwise(hits):
        assert a < b and a + da <= b + _EPS
    assert hits[-1][0] + hits[-1][1] <= meter.bar_qn + _EPS


# ------------------------------------------------------------------------------- melody


def _notes_a_second(density: tuple[float, float], meter: Meter, bpm: float) -> float:
    """Mean notes a second over a small population of random melodies with this density."""
    harmony = _harmony(meter)
    ops = MelodyOps(key=KEY, meter=meter, harmony=harmony, bars=BARS, density=density)
    rng = np.random.default_rng(9)
    counts = [len(melody_notes(ops.random(rng), KEY, meter)) for _ in range(POPULATION)]
    seconds = BARS * meter.bar_qn * 60.0 / bpm
    return float(np.mean(counts)) / seconds


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_a_tender_slow_melody_sings_fewer_longer_notes_than_a_driving_one(meter: Meter) -> None:
    tender = melody_density(100, ["tender", "sleepy"])
    plain = melody_density(100, [])
    driving = melody_density(100, ["driving", "energetic"])
    assert tender[1] < plain[1] < driving[1]
    per_beat = [_notes_a_second(d, meter, 100) for d in (tender, plain, driving)]
    assert per_beat[0] < per_beat[1] < per_beat[2]
    assert per_beat[2] > 1.25 * per_beat[0]


def test_a_fast_tempo_sings_fewer_notes_a_beat() -> None:
    slow, fast = melody_density(60, []), melody_density(170, [])
    assert fast[1] < slow[1]
    meter = Meter(4, 4)
    # Fewer notes a beat, but the notes a second still rise with the tempo only gently.
    fast_rate = _notes_a_second(fast, meter, 170)
    slow_rate = _notes_a_second(slow, meter, 60)
    assert fast_rate < 170 / 60 * slow_rate
    with pytest.raises(ValueError, match="bpm"):
        melody_density(0, [])
