"""The shaped song: a repeated section varies but keeps its identity, the intro and outro are
thinned, the energy rises to the climax, the song ends on the tonic, and the key music21 hears
does not move. Measured on the assembled notes (and song.mid), never on labels."""

from __future__ import annotations

from pathlib import Path

import music21
import pytest

from music.keys import Key
from music.meter import Meter
from music.midi_io import Song, read_midi
from music.notes import Note, Part, lyric_events, with_lyric_events
from render.assemble import Arrangement, assemble, assemble_to_files, plan_arrangement
from render.energy import energy_curve
from render.section_frame import note_overlap

FORM = [("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8), ("outro", 4)]
DEGREES = ((0, 5, 3, 4), (3, 4, 0, 5))  # verse and chorus progressions (scale degrees)


def _triad(key: Key, degree: int) -> list[int]:
    return [key.degree_pc(degree + k) for k in (0, 2, 4)]


def _near(pc: int, around: int) -> int:
    return around - 6 + (pc - around + 6) % 12


def key_parts(key: Key, meter: Meter, degrees: tuple[int, ...], seed: int) -> dict[str, Part]:
    """Chords (one phrase of 4 bars, a triad per bar), and 8-bar drums, bass and melody in
    ``key``, the melody on chord tones and passing scale tones."""
    bar = meter.bar_qn
    chords = [
        Note(b * bar, (b + 1) * bar, _near(pc, 62), 80)
        for b, d in enumerate(degrees)
        for pc in _triad(key, d)
    ]
    bass, melody, drums = [], [], []
    steps = [0.0, 1.0, 1.5, 2.0] if bar >= 3 else [0.0, 1.0]
    for b in range(8):
        triad = _triad(key, degrees[b % 4])
        start = b * bar
        for k, off in enumerate(meter.beat_offsets_qn()):
            pc = triad[0] if k % 2 == 0 else triad[2]
            bass.append(Note(start + off, start + off + 0.9, _near(pc, 40), 95))
        for j, off in enumerate(steps):
            nxt = steps[j + 1] if j + 1 < len(steps) else bar
            pc = triad[(j + b + seed) % 3] if j % 2 == 0 else key.degree_pc(degrees[b % 4] + j)
            melody.append(Note(start + off, start + nxt - 0.05, _near(pc, 74), 90))
        for s in range(round(bar / 0.5)):
            q = start + s * 0.5
            drums.append(Note(q, q + 0.25, 42, 70 if s % 2 else 85))
        for k, off in enumerate(meter.beat_offsets_qn()):
            drums.append(Note(start + off, start + off + 0.25, 36 if k == 0 else 38, 110))
        drums.append(Note(start + bar - 0.25, start + bar, 38, 40))  # a ghost note
    return {
        "chords": Part("chords", tuple(chords), program=4),
        "drums": Part("drums", tuple(drums), is_drum=True),
        "bass": Part("bass", tuple(bass), program=33),
        "melody": Part("melody", tuple(melody), program=73),
    }


def approved_in(key: Key, meter: Meter) -> dict[str, dict[str, Part]]:
    verse = key_parts(key, meter, DEGREES[0], 0)
    chorus = key_parts(key, meter, DEGREES[1], 1)
    return {name: {"verse": verse[name], "chorus": chorus[name]} for name in verse}


def song_in(key: Key, meter: Meter, *, seed: int | None = 7) -> tuple[Song, Arrangement]:
    approved = approved_in(key, meter)
    kw = {"bpm": 100.0, "meter": meter, "phrase_qn": 4 * meter.bar_qn}
    song = assemble(FORM, approved, key=key, seed=seed, **kw)  # type: ignore[arg-type]
    return song, plan_arrangement(FORM, approved, **kw)  # type: ignore[arg-type]


def section_notes(part: Part, arrangement: Arrangement, index: int) -> list[Note]:
    sec = arrangement.sections[index]
    return [
        n.shifted(-sec.start_qn) for n in part.notes if sec.start_qn - 1e-6 <= n.start < sec.end_qn
    ]


def test_note_overlap_counts_onset_and_pitch_matches() -> None:
    a = [Note(0, 1, 60), Note(1, 2, 62), Note(2, 3, 64), Note(3, 4, 65)]
    assert note_overlap(a, a) == 1.0
    assert note_overlap(a, [Note(0, 0.5, 60, 20), *a[1:]]) == 1.0  # length, velocity ignored
    assert note_overlap(a, [*a[:3], Note(3, 4, 67)]) == pytest.approx(0.75)
    assert note_overlap(a, [*a, Note(3.5, 4, 67)]) == pytest.approx(0.8)
    assert note_overlap(a, []) == 0.0 and note_overlap([], []) == 1.0


@pytest.mark.parametrize("meter_text", ["4/4", "3/4", "6/8", "7/8", "5/4"])
def test_repeated_sections_differ_and_keep_their_identity(meter_text: str) -> None:
    song, arr = song_in(Key(9, "minor"), Meter.parse(meter_text))
    for part in song.parts:
        for first, again in ((1, 3), (2, 4)):
            overlap = note_overlap(section_notes(part, arr, first), section_notes(part, arr, again))
            assert 0.4 < overlap < 0.9, (part.name, first, again, overlap)


def test_without_a_seed_a_repeat_is_a_copy() -> None:
    song, arr = song_in(Key(0), Meter(4, 4), seed=None)
    for part in song.parts:
        assert note_overlap(section_notes(part, arr, 1), section_notes(part, arr, 3)) == 1.0


def test_the_same_seed_gives_the_same_song_and_seeds_vary_it() -> None:
    meter = Meter(4, 4)
    a, _ = song_in(Key(2, "dorian"), meter, seed=3)
    b, _ = song_in(Key(2, "dorian"), meter, seed=3)
    assert a == b
    others = [song_in(Key(2, "dorian"), meter, seed=s)[0] for s in (4, 5, 6)]
    assert any(o.parts != a.parts for o in others)


def test_chords_looping_a_phrase_in_a_section_change_their_voicing() -> None:
    song, arr = song_in(Key(0), Meter(4, 4))
    chords = next(p for p in song.parts if p.name == "chords")
    verse = section_notes(chords, arr, 1)
    first = [n for n in verse if n.start < 16]
    second = [n.shifted(-16) for n in verse if n.start >= 16]
    assert 0.4 < note_overlap(first, second) < 1.0
    assert {n.pitch % 12 for n in first} == {n.pitch % 12 for n in second}  # same harmony


def _bars_with_notes(notes: list[Note], bar_qn: float) -> set[int]:
    return {int(n.start // bar_qn) for n in notes}


def test_intro_is_thinned_and_the_energy_rises_to_the_climax() -> None:
    meter = Meter(4, 4)
    song, arr = song_in(Key(7), meter)
    by = {p.name: p for p in song.parts}
    assert section_notes(by["melody"], arr, 0) == []  # the melody waits for the verse
    assert section_notes(by["melody"], arr, 5) == []  # and leaves for the outro
    bass_intro = section_notes(by["bass"], arr, 0)
    assert bass_intro and min(n.start for n in bass_intro) >= 2 * meter.bar_qn  # enters late
    hits = [len(section_notes(by["drums"], arr, i)) / arr.sections[i].bars for i in range(6)]
    assert hits[0] < hits[1] < hits[4]  # intro sparser than verse 1, the climax the densest
    energy = energy_curve([s.name for s in arr.sections])
    assert energy[0] < energy[1] < energy[2] < energy[4] == 1.0 and energy[5] < energy[4]
    velocity = [
        sum(n.velocity for n in section_notes(by["chords"], arr, i))
        / len(section_notes(by["chords"], arr, i))
        for i in range(6)
    ]
    assert velocity[1] < velocity[2] < velocity[4] and velocity[0] < velocity[1]


@pytest.mark.parametrize(
    "key", [Key(9, "minor"), Key(3, "major"), Key(2, "dorian"), Key(1, "phrygian")], ids=str
)
def test_the_song_ends_on_the_held_tonic(key: Key, tmp_path: Path) -> None:
    meter = Meter(3, 4)
    approved = approved_in(key, meter)
    res = assemble_to_files(
        tmp_path, FORM, approved, bpm=90.0, meter=meter, phrase_qn=4 * meter.bar_qn, key=key, seed=1
    )
    song = read_midi(res.song_mid)
    total = res.arrangement.total_qn
    final = total - meter.bar_qn
    pitched = [n for p in song.parts if not p.is_drum for n in p.notes]
    sounding = [n for n in pitched if n.start <= final + 1e-6 < n.end]
    assert sounding and all(n.end == pytest.approx(total) for n in sounding)  # held to the end
    assert not [n for n in pitched if final + 1e-6 < n.start]  # nothing after it
    chord = music21.chord.Chord([n.pitch for n in sounding])
    assert chord.root().pitchClass == key.tonic
    bass = min(sounding, key=lambda n: n.pitch)
    assert bass.pitch % 12 == key.tonic  # root position


def _music21_key(song: Song) -> tuple[int, str]:
    stream = music21.stream.Stream()
    for part in song.parts:
        if part.is_drum:
            continue
        for n in part.notes:
            stream.insert(n.start, music21.note.Note(n.pitch, quarterLength=n.duration))
    found = stream.analyze("key")
    return found.tonic.pitchClass, found.mode


@pytest.mark.parametrize(
    "key", [Key(9, "minor"), Key(0), Key(6, "minor"), Key(10), Key(4, "minor")], ids=str
)
def test_variation_keeps_the_key_music21_hears(key: Key) -> None:
    meter = Meter(4, 4)
    plain, _ = song_in(key, meter, seed=None)
    assert _music21_key(plain) == (key.tonic, key.mode)  # the material is in the key
    for seed in (0, 1, 2):
        shaped, _ = song_in(key, meter, seed=seed)
        assert _music21_key(shaped) == (key.tonic, key.mode), seed


def test_a_third_verse_differs_from_both_earlier_ones() -> None:
    meter = Meter(4, 4)
    approved = approved_in(Key(7), meter)
    form = [("verse", 8), ("verse", 8), ("verse", 8)]
    kw = {"bpm": 100.0, "meter": meter, "phrase_qn": 4 * meter.bar_qn}
    song = assemble(form, approved, key=Key(7), seed=2, **kw)  # type: ignore[arg-type]
    arr = plan_arrangement(form, approved, **kw)  # type: ignore[arg-type]
    for part in song.parts:
        plays = [section_notes(part, arr, i) for i in range(3)]
        for a, b in ((0, 1), (0, 2), (1, 2)):
            assert 0.4 < note_overlap(plays[a], plays[b]) < 0.9, (part.name, a, b)


def test_sung_syllables_stay_on_notes_of_a_varied_melody() -> None:
    meter = Meter(4, 4)
    approved = approved_in(Key(9, "minor"), meter)
    for label, phrase in approved["melody"].items():
        events = [(n.start, f"{label}{i}") for i, n in enumerate(phrase.notes)]
        approved["melody"][label] = with_lyric_events(phrase, events)
    kw = {"bpm": 100.0, "meter": meter, "phrase_qn": 4 * meter.bar_qn}
    song = assemble(FORM, approved, key=Key(9, "minor"), seed=5, **kw)  # type: ignore[arg-type]
    melody = next(p for p in song.parts if p.name == "melody")
    onsets = {round(n.start, 6) for n in melody.notes}
    events = lyric_events(melody)
    assert len(events) > 100  # two verses and two choruses sung
    assert all(round(t, 6) in onsets for t, _ in events)
