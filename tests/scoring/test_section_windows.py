"""The scorer hears every bar of a section: windows over the whole part, pooled."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from evolution.fitness.chromatic import SongChromaticScorer
from music.meter import Meter
from music.notes import Note, Part
from scoring.chromatic import ChromaticScorer, ScorerInput
from scoring.midi_features import midi_features
from scoring.note_arrays import NoteTable
from scoring.section_windows import (
    pool_outputs,
    slice_parts,
    slice_table,
    table_window_starts,
    window_qn,
    window_starts,
)
from scoring.text_encoder import proposal_words
from training.scorer.probes import DARK_CONCEPT, bright_candidate, dark_candidate

FOUR = Meter(4, 4)


@pytest.fixture(scope="module")
def scorer() -> ChromaticScorer:
    return ChromaticScorer.load()


def _bars(n: int, pitch: int = 60) -> Part:
    return Part("lead", tuple(Note(b * 4.0, b * 4.0 + 4.0, pitch, 80) for b in range(n)))


def _sixteen_bars(second_half: ScorerInput) -> ScorerInput:
    """Bars 1-8 the dark candidate twice, bars 9-16 ``second_half`` twice (4 bars each)."""
    first = dark_candidate(9).parts[0].notes
    second = second_half.parts[0].notes
    notes = [
        Note(n.start + shift, n.end + shift, n.pitch, n.velocity)
        for shift, src in ((0.0, first), (16.0, first), (32.0, second), (48.0, second))
        for n in src
    ]
    return ScorerInput(parts=(Part("chords", tuple(notes)),), bpm=84.0, meter=FOUR)


def test_window_starts_over_the_same_parts_underneath_are_those_read_afresh() -> None:
    """The parts underneath are read once per tuple (the windows their onsets use, kept per
    window layout); each candidate's windows are the ones a fresh reading gives."""
    rng = np.random.default_rng(3)
    under = (
        Part("chords", tuple(Note(b * 4.0 + 8.0, b * 4.0 + 12.0, 60, 80) for b in range(10))),
        Part("bass", (Note(70.0, 71.0, 40, 80),)),
    )
    for _ in range(40):
        start = float(rng.integers(0, 80))
        lead = Part("lead", (Note(start, start + float(rng.integers(1, 40)), 72, 80),))
        assert window_starts([lead], under, meter=FOUR) == window_starts(
            [lead], list(under), meter=FOUR
        )
    assert window_starts([], under, meter=FOUR) == [8.0, 40.0]  # from the first bar heard


def test_windows_are_whole_bars_over_the_whole_section() -> None:
    assert window_qn(FOUR) == 32.0
    assert window_qn(Meter(7, 8)) == 31.5  # nine bars of 7/8
    assert window_qn(Meter(12, 8)) == 30.0
    assert window_starts([_bars(8)], (), meter=FOUR) is None  # fits: scored whole
    assert window_starts([_bars(16)], (), meter=FOUR) == [0.0, 32.0]
    assert window_starts([_bars(17)], (), meter=FOUR) == [0.0, 32.0, 64.0]
    # Windows without a note are skipped; the parts underneath count.
    lone = Part("lead", (Note(0.0, 1.0, 60), Note(80.0, 81.0, 62)))
    assert window_starts([lone], (), meter=FOUR) == [0.0, 64.0]
    assert window_starts([Part("lead", (Note(0.0, 1.0, 60),))], [_bars(12)], meter=FOUR) == [
        0.0,
        32.0,
    ]
    assert window_starts([], (), meter=FOUR) == []


def test_a_slice_moves_notes_to_zero_and_cuts_them_at_the_window_end() -> None:
    part = Part("lead", (Note(30.0, 36.0, 60), Note(33.0, 34.0, 64), Note(70.0, 71.0, 67)))
    (first,) = slice_parts([part], 0.0, 32.0)
    assert [(n.start, n.end, n.pitch) for n in first.notes] == [(30.0, 32.0, 60)]
    (second,) = slice_parts([part], 32.0, 32.0)
    assert [(n.start, n.end, n.pitch) for n in second.notes] == [(1.0, 2.0, 64)]
    assert slice_parts([part], 100.0, 32.0) == ()


def test_slicing_the_arrays_gives_the_notes_of_slicing_the_parts() -> None:
    cands = [
        (_bars(20, 60), Part("kit", (Note(33.0, 33.5, 36), Note(70.0, 70.5, 38)), is_drum=True)),
        (Part("lead", (Note(31.0, 40.0, 64), Note(40.0, 41.0, 65))),),
    ]
    for start in (0.0, 32.0, 64.0):
        sliced = slice_table(NoteTable.of(cands), start, 32.0)
        want = NoteTable.of([slice_parts(c, start, 32.0) for c in cands])
        assert sliced.start.tolist() == want.start.tolist()
        assert sliced.end.tolist() == want.end.tolist()
        assert sliced.pitch.tolist() == want.pitch.tolist()
        assert sliced.drum.tolist() == want.drum.tolist()
        assert sliced.candidate.tolist() == want.candidate.tolist()


def test_pooling_means_each_output_and_keeps_one_window_exact() -> None:
    rng = np.random.default_rng(3)
    emb = rng.normal(size=(3, 4)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    sims = np.array([0.1, 0.3, 0.7], dtype=np.float32)
    out = pool_outputs({"embedding": emb, "concept_sim": sims}, [0, 1, 1], 2)
    assert out["concept_sim"][0] == sims[0]
    assert out["concept_sim"][1] == pytest.approx(0.5)
    assert np.array_equal(out["embedding"][0], emb[0])
    assert np.linalg.norm(out["embedding"][1]) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="owns a window"):
        pool_outputs({"concept_sim": sims}, [0, 0, 2], 3)


def test_a_change_only_in_bars_9_to_16_changes_the_score(scorer: ChromaticScorer) -> None:
    calm = _sixteen_bars(dark_candidate(9, 1))
    busy = _sixteen_bars(bright_candidate(9))
    a, b = scorer.score_batch([calm, busy], DARK_CONCEPT, color="Indigo")
    assert abs(a.match - b.match) > 1e-3
    assert a.match > b.match  # the dark concept prefers the section that stays dark
    # The same through the song scorer the phases use, over parts underneath.
    song = SongChromaticScorer(concept=DARK_CONCEPT, color="Indigo", bpm=84.0, meter=FOUR)
    bass = Part("bass", tuple(Note(b * 4.0, b * 4.0 + 4.0, 33, 70) for b in range(16)))
    c, d = song.chromatic([calm.parts, busy.parts], underneath=[bass])
    assert abs(c.match - d.match) > 1e-3


def test_music_that_fits_one_window_scores_as_before(scorer: ChromaticScorer) -> None:
    cand = dark_candidate(2)
    feats = midi_features(cand.parts, bpm=cand.bpm, meter=cand.meter)
    assert scorer.score(cand, DARK_CONCEPT, color="Blue") == scorer.score(
        feats, DARK_CONCEPT, color="Blue"
    )


def test_a_long_candidate_scores_the_same_in_any_batch() -> None:
    song = SongChromaticScorer(concept=DARK_CONCEPT, color="Red", bpm=84.0, meter=FOUR)
    long = _sixteen_bars(bright_candidate(4)).parts
    short = dark_candidate(4).parts
    three = [*_sixteen_bars(dark_candidate(1)).parts, _bars(20, 72)]
    together = song.chromatic([short, long, three])
    assert song.chromatic([long])[0] == together[1]
    assert song.chromatic([three, short])[0] == together[2]


def test_proposal_words_join_the_concept(scorer: ChromaticScorer) -> None:
    words = proposal_words(
        genres=["ambient", " "],
        mood=["sparse", "calm"],
        instruments=["piano", "strings"],
        sounds_like=["Brian Eno"],
    )
    assert words == "ambient, sparse, calm, for piano and strings, sounds like Brian Eno"
    assert proposal_words() == ""
    plain = scorer.prepare_concept(DARK_CONCEPT)
    assert np.array_equal(scorer.prepare_concept(DARK_CONCEPT, ""), plain)
    mixed = scorer.prepare_concept(DARK_CONCEPT, words)
    assert np.linalg.norm(mixed) == pytest.approx(1.0, abs=1e-5)
    assert 0.3 < float(mixed @ plain) < 0.99  # moved toward the words, still the concept


def test_the_sidecar_sets_how_much_the_words_weigh(scorer: ChromaticScorer) -> None:
    words = proposal_words(genres=["ambient"], mood=["sparse", "calm"])
    plain = scorer.prepare_concept(DARK_CONCEPT)
    even = scorer.prepare_concept(DARK_CONCEPT, words)
    lighter = replace(scorer, calibration={**scorer.calibration, "words_weight": 0.3}, _concepts={})
    light = lighter.prepare_concept(DARK_CONCEPT, words)
    text = scorer.text_encoder().encode([words])[0]
    assert np.linalg.norm(light) == pytest.approx(1.0, abs=1e-5)
    assert float(light @ plain) > float(even @ plain) + 0.05  # closer to the concept alone
    assert float(light @ text) < float(even @ text)
    np.testing.assert_allclose(light, (plain + 0.3 * text) / np.linalg.norm(plain + 0.3 * text))


def _table_cases() -> list[tuple[Part, ...]]:
    return [
        (_bars(20, 60), Part("kit", (Note(33.0, 33.5, 36), Note(70.0, 70.5, 38)), is_drum=True)),
        (Part("lead", (Note(31.0, 40.0, 64), Note(40.0, 41.0, 65))),),
        (),
        (_bars(6, 67),),
        (Part("lead", (Note(9.0, 10.0, 64),)), Part("kit", (Note(70.0, 70.5, 36),), is_drum=True)),
    ]


def test_window_starts_of_a_table_are_those_of_its_parts() -> None:
    cands = _table_cases()
    for under in ((), (_bars(4, 48),), (_bars(24, 40),)):
        want = [window_starts(c, under, meter=FOUR) for c in cands]
        assert table_window_starts(NoteTable.of(cands), under, meter=FOUR) == want
    assert [] in [window_starts(c, (), meter=FOUR) for c in cands]  # the empty one is covered


def test_a_selection_of_a_table_is_the_table_of_those_candidates() -> None:
    cands = _table_cases()
    whole = NoteTable.of(cands)
    for members in ([0, 1, 2, 3, 4], [1, 3], [0, 4], [2], [2, 3]):
        got = whole.select(members)
        want = NoteTable.of([cands[i] for i in members])
        for name in ("start", "end", "pitch", "velocity", "part", "part_candidate", "part_drum"):
            assert getattr(got, name).tolist() == getattr(want, name).tolist(), name
        assert got.candidates == want.candidates == len(members)


def test_a_table_scores_as_the_parts_it_holds() -> None:
    song = SongChromaticScorer(concept=DARK_CONCEPT, color="Red", bpm=84.0, meter=FOUR)
    cands = [c for c in _table_cases() if c]
    under = [Part("bass", tuple(Note(b * 4.0, b * 4.0 + 4.0, 33, 70) for b in range(10)))]
    want = song.chromatic(cands, underneath=under)
    assert song.chromatic_table(NoteTable.of(cands), underneath=under) == want
    drums = [Part("kit", c[0].notes, is_drum=True) for c in cands]
    rows = [np.array([[n.start, n.end, n.pitch, n.velocity] for n in p.notes]) for p in drums]
    table = NoteTable.of_rows(rows, drum=True)
    assert song.chromatic_table(table, underneath=under) == song.chromatic(
        [[p] for p in drums], underneath=under
    )
