"""The key as a constraint: verdicts on chord progressions and on melody and bass lines, how
modes are judged, and the feasibility-first fitness that keeps a stray from winning."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evolution.fitness.key_verdicts import chord_verdicts, heard_chords, line_facts, line_verdicts
from generators.chords.genome import ChordGene, ChordGenome, flatten
from generators.chords.voicing import DEFAULT_REGISTER, ChordRegister, chords_part
from generators.harmony import chord_timeline
from music.chords import parse_roman
from music.keys import Key
from music.meter import Meter
from music.notes import Note
from scoring.composite import ChromaticScore, ScoreCard, TheoryScores, Weights, composite, with_key
from scoring.key_constraint import (
    MISSING_DEGREE,
    KeyVerdict,
    acceptable_keys,
    collection_shortfall,
    judge_heard,
    progression_facts,
    relative_keys,
)
from scoring.key_estimate import estimate_keys

FOUR = Meter(4, 4)


def _genome(numerals: str, key: Key, beats: float = 4.0) -> ChordGenome:
    bars = []
    for n in numerals.split():
        r = parse_roman(n, key.numeral_key)
        bars.append((ChordGene(r.offset, r.quality, r.inversion, beats),))
    return tuple(bars)


def _verdict(numerals: str, key: str, meter: Meter = FOUR) -> KeyVerdict:
    k = Key.parse(key)
    return chord_verdicts([_genome(numerals, k, meter.bar_qn)], k, meter)[0]


def test_the_blue_waltz_winner_is_out_of_key() -> None:
    """The reported case: G major in 3/4, opening on A major and leaning on F#m."""
    v = _verdict("II vii vii I", "G major", Meter(3, 4))
    assert not v.feasible and not v.in_key and v.violation > 1
    assert v.heard != "G major"
    assert v.out_of_key == ("II (A) in bar 1", "vii (F#m) in bar 2")
    # All diatonic, but leaning on iii: heard as B minor, so out of key too.
    leaning = _verdict("I6 iii iii V", "G major", Meter(3, 4))
    assert leaning.heard == "B minor" and not leaning.feasible and leaning.out_of_key == ()


def test_a_cadence_with_borrowed_colour_stays_in_key() -> None:
    v = _verdict("I bVII V I", "G major")
    assert v.feasible and v.reading == "as requested" and v.violation == 0.0
    assert v.borrowed == ("bVII (F): modal mixture (subtonic), bar 2",)
    flat_six = _verdict("I bVI V I", "G major")
    assert flat_six.borrowed == ("bVI (Eb): modal mixture from the parallel minor, bar 2",)
    # The same colour, but leaning on IV and bVII, is heard in C major.
    assert _verdict("I IV bVII V", "G major").reading == "elsewhere: C major"
    minor = _verdict("i iv V i", "C minor")
    assert minor.feasible
    assert minor.borrowed == ("V (G): major dominant of harmonic minor, bar 3",)
    review = minor.as_review()
    assert review["verdict"] == "in key" and review["heard"] == "C minor"
    assert not _verdict("II vii vii I", "G major").as_review()["verdict"].startswith("in key")


def test_church_modes_need_their_tonic_and_their_own_collection() -> None:
    assert _verdict("i ii VII i", "D dorian").reading == "D minor, the parallel reading of D dorian"
    # No B and no Bb: nothing says dorian; Bb against B: aeolian.
    plain = _verdict("i VII III i", "D dorian")
    assert not plain.feasible and plain.reading == "not D dorian: its B never sounds"
    assert plain.violation == pytest.approx(MISSING_DEGREE)
    aeolian = _verdict("i bVI VII i", "D dorian")
    assert not aeolian.feasible
    # Heard as the mode's relative major, with the tonic chord first, last and longest.
    mixo = _verdict("I VII IV I", "G mixolydian")
    assert mixo.heard == "C major" and mixo.feasible
    assert mixo.reading == "C major: the collection of G mixolydian, tonic G by emphasis"
    assert _verdict("IV I VII IV", "G mixolydian").feasible is False


def test_mode_rules() -> None:
    d_dorian = Key(2, "dorian")
    assert relative_keys(d_dorian) == ((0, "major"), (9, "minor"))
    assert relative_keys(Key(9, "harmonic_minor")) == ()
    assert acceptable_keys(d_dorian, tonic_by_emphasis=False) == ((2, "minor"),)
    hist = np.zeros(12)
    hist[[2, 5, 9, 11]] = 1.0
    assert collection_shortfall(hist, d_dorian) == 0.0
    hist[10] = 3.0  # B-flat outlasts B
    assert collection_shortfall(hist, d_dorian) == pytest.approx(2.0 / 7.0)
    ok, reading = judge_heard([(9, "minor")], Key(9, "harmonic_minor"), emphasis=False, hist=hist)
    assert ok and reading == "A minor: A harmonic minor is judged as minor"
    ok, reading = judge_heard([(4, "minor"), (9, "minor")], Key(9), emphasis=True, hist=hist)
    assert not ok and reading == "ambiguous: heard as E minor / A minor"


def test_violation_grows_with_time_out_of_key() -> None:
    key = Key(0)
    one = _verdict("I IV bV I", "C major")
    two = _verdict("I bV bV I", "C major")
    assert not one.feasible and not two.feasible
    assert 0 < one.violation < two.violation
    assert one.out_of_key == ("#IV (F#) in bar 3",)
    assert chord_verdicts([], key, FOUR) == []


def _notes(pitches: list[int], length: float = 1.0) -> list[Note]:
    return [Note(i * length, (i + 1) * length, p) for i, p in enumerate(pitches)]


def test_melody_notes_outside_the_scale_need_a_reason() -> None:
    key = Key(0)
    harmony = chord_timeline(_genome("I IV V I", key), key, FOUR, bars=4)
    fine = {
        "passing": [60, 61, 62, 64, 67, 65, 64, 62, 60],
        "neighbour": [64, 66, 64, 62, 60, 62, 64, 62, 60],
        "approach": [60, 64, 68, 69, 67, 65, 64, 62, 60],
    }
    for name, line in fine.items():
        facts = line_facts(_notes(line), key, harmony=harmony, bar_qn=4.0)
        assert facts.out_of_key == () and facts.strayed == 0.0, name
    leap = line_facts(_notes([60, 66, 60, 64, 67, 64, 62, 60]), key, harmony=harmony, bar_qn=4.0)
    assert leap.out_of_key == ("F#4 in bar 1",) and leap.strayed == pytest.approx(1 / 8)
    # B-flat over the borrowed bVII is a chord tone.
    mixture = chord_timeline(_genome("I bVII IV I", key), key, FOUR, bars=4)
    over = _notes([60, 64, 67, 64, 70, 65, 62, 70, 69, 65, 64, 62, 60, 64, 62, 60])
    assert line_facts(over, key, harmony=mixture, bar_qn=4.0).out_of_key == ()


def test_a_melody_heard_in_another_key_cannot_win() -> None:
    key = Key(0)
    harmony = chord_timeline(_genome("I IV V I", key), key, FOUR, bars=4)
    tonic = _notes([60, 64, 67, 72, 67, 64, 65, 62, 60, 64, 62, 59, 60, 67, 64, 60])
    e_minor = _notes([64, 67, 71, 76, 71, 67, 64, 71, 69, 67, 66, 64, 71, 67, 64, 64])
    good, bad = line_verdicts([tonic, e_minor], key, harmony=harmony, meter=FOUR)
    assert good.feasible and good.heard == "C major"
    assert not bad.feasible and bad.heard == "E minor" and bad.out_of_key == ()


def test_a_bass_is_heard_with_its_chords() -> None:
    key = Key(7)
    harmony = chord_timeline(_genome("I V vi IV", key), key, FOUR, bars=4)
    roots = _notes([43, 43, 38, 38, 40, 40, 36, 36], 2.0)
    alone = line_verdicts([roots], key, harmony=harmony, meter=FOUR)[0]
    together = line_verdicts([roots], key, harmony=harmony, meter=FOUR, heard_with_chords=True)
    assert alone.heard == "C major"  # roots alone lean to the subdominant
    assert together[0].heard == "G major"


def _card(value: float) -> ScoreCard:
    return ScoreCard(composite=value, theory=TheoryScores((), value), chromatic=None)


def _key(violation: float) -> KeyVerdict:
    return KeyVerdict("C major", "C major", "", violation == 0, (), (), violation)


@given(
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(1e-3, 50),
)
def test_a_stray_ranks_below_every_candidate_in_key(
    inside: float, outside: float, v: float
) -> None:
    kept, strayed = with_key([_card(inside), _card(outside)], [_key(0.0), _key(v)])
    assert kept.fitness == inside
    assert -1 <= strayed.fitness < 0 <= kept.fitness
    assert with_key([_card(outside)], [_key(2 * v)])[0].fitness < strayed.fitness


def test_weights_still_trade_theory_against_the_critic_in_key() -> None:
    def chroma(match: float) -> ChromaticScore:
        third = (1 / 3, 1 / 3, 1 / 3)
        return ChromaticScore(third, third, third, confidence=0.5, match=match)

    theory_rich = (TheoryScores((("a", 0.9),), 0.9), chroma(0.3))
    critic_rich = (TheoryScores((("a", 0.3),), 0.3), chroma(0.9))
    for weights, winner in ((Weights(0.8, 0.2), 0), (Weights(0.2, 0.8), 1)):
        cards = with_key(
            [composite(*c, weights) for c in (theory_rich, critic_rich)], [_key(0)] * 2
        )
        assert max(range(2), key=lambda i: cards[i].fitness) == winner
    with pytest.raises(ValueError, match="one per card"):
        with_key([_card(0.5)], [])


#: A pad under a high melody (its bass range overlaps its upper voices, so a bass can double
#: an upper voice in unison) and a guitar with string-like gaps.
_PAD = ChordRegister(
    upper_low=47, upper_high=61, bass_low=43, bass_high=54, sustain=True, velocity=62
)
_GUITAR = ChordRegister(
    upper_low=52, upper_high=67, bass_low=40, bass_high=52, min_gap=2, max_gap=9
)


@pytest.mark.parametrize("register", [DEFAULT_REGISTER, _PAD, _GUITAR])
@pytest.mark.parametrize(
    ("numerals", "key"),
    [("i i6 V V6", "C# minor"), ("IV V Iadd6 V", "A major"), ("i9 VI iiø7 iiø7", "C minor")],
)
def test_the_verdict_hears_the_notes_the_candidate_plays(
    register: ChordRegister, numerals: str, key: str
) -> None:
    """The key verdict weighs the pitch classes of the chords part as written (the
    instrument's voicing, a unison doubling once), so the key it hears is the one a listener
    of the MIDI hears: the key grid's stray winners came from the verdict hearing the default
    piano voicing while the MIDI played a pad's, and a doubled bass twice."""
    k = Key.parse(key)
    genome = _genome(numerals, k)
    facts = progression_facts(heard_chords(flatten(genome), k, register), k, bar_qn=4.0)
    written = np.zeros(12)
    for note in chords_part(genome, k, register=register).notes:
        written[note.pitch % 12] += note.duration
    np.testing.assert_allclose(np.asarray(facts.histogram), written)
    verdict = chord_verdicts([genome], k, FOUR, register)[0]
    heard = estimate_keys(written[None])[0]
    assert Key.parse(verdict.heard) == Key(heard.tonic, heard.family)
