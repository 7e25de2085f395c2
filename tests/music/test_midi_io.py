"""MIDI files: write -> read round trips, an independent pretty_midi reading of what we
write, a corpus of corrupt inputs built here, and the atomic write.

Limits of the format (not bugs): beat groupings are not stored, so a meter reads back with
its default groups; drum parts are written without a program change and read back with
program 0; times are rounded to 1/480 of a quarter note.
"""

from __future__ import annotations

import os
import random
import stat
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import mido
import pretty_midi
import pytest

from music.errors import MidiFileError, StorageError
from music.keys import parse_key
from music.meter import Meter
from music.midi_io import TICKS_PER_QN, Song, read_midi, song_to_midi, write_midi
from music.notes import DRUM_CHANNEL, Note, Part, lyric_events, with_lyric_events


def _melody(bar_qn: float, bars: int) -> tuple[Note, ...]:
    notes = []
    t, i = 0.0, 0
    while t < bar_qn * bars:
        length = (0.5, 1.0, 0.25, 1.5)[i % 4]
        notes.append(Note(start=t, end=t + length, pitch=60 + (i * 5) % 24, velocity=40 + i % 80))
        t += length
        i += 1
    return tuple(notes)


def _song(meter: Meter, bpm: float = 120.0, bars: int = 4) -> Song:
    bar = meter.bar_qn
    chords = tuple(
        Note(start=b * bar, end=(b + 1) * bar, pitch=p, velocity=70)
        for b in range(bars)
        for p in (48 + b, 52 + b, 55 + b)
    )
    bass = tuple(Note(start=b * bar, end=b * bar + bar / 2, pitch=36 + b, velocity=100)
                 for b in range(bars))  # fmt: skip
    drums = tuple(
        Note(start=off + b * bar, end=off + b * bar + 0.25, pitch=36 if off == 0 else 42)
        for b in range(bars)
        for off in meter.beat_offsets_qn()
    )
    return Song(
        parts=(
            Part(name="melody", notes=_melody(bar, bars), program=73),
            Part(name="chords", notes=chords, program=4),
            Part(name="bass", notes=bass, program=33),
            Part(name="drums", notes=drums, is_drum=True),
        ),
        bpm=bpm,
        meter=meter,
    )


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("meter", ["3/4", "7/8", "12/8", "4/4", "5/4", "6/8", "5/8", "2/2"])
def test_round_trip_in_every_meter(tmp_path: Path, meter: str) -> None:
    song = _song(Meter.parse(meter))
    back = read_midi(write_midi(song, tmp_path / "song.mid"))
    assert back == song
    assert [p.name for p in back.parts] == ["melody", "chords", "bass", "drums"]
    assert [p.program for p in back.parts] == [73, 4, 33, 0]
    assert [p.is_drum for p in back.parts] == [False, False, False, True]


@pytest.mark.parametrize("bpm", [84.0, 60.0, 97.5, 120.0, 133.33, 200.0, 41.25])
def test_tempo_reads_back_exactly(tmp_path: Path, bpm: float) -> None:
    # Regression: 84 bpm is stored as 714286 us per quarter note and came back 83.99997...
    back = read_midi(write_midi(_song(Meter(4, 4), bpm=bpm), tmp_path / "t.mid"))
    assert back.bpm == bpm


def test_a_tempo_that_is_not_a_round_bpm_is_kept_exactly(tmp_path: Path) -> None:
    mid = song_to_midi(_song(Meter(4, 4)))
    for msg in mid.tracks[0]:
        if msg.type == "set_tempo":
            msg.tempo = 500_003  # not the encoding of any bpm with two decimals
    path = tmp_path / "odd.mid"
    mid.save(path)
    assert read_midi(path).bpm == mido.tempo2bpm(500_003)


def test_triplets_and_fractional_times_within_a_tick(tmp_path: Path) -> None:
    triplets = [
        Note(start=float(Fraction(k, 3)), end=float(Fraction(k + 1, 3)), pitch=60 + k % 12)
        for k in range(24)
    ]
    notes = (*triplets, Note(start=0.1, end=0.7, pitch=90), Note(start=1.2345, end=2.718, pitch=91))
    song = Song(parts=(Part(name="triplets", notes=notes, program=0),), bpm=84.0,
                meter=Meter(4, 4))  # fmt: skip
    back = read_midi(write_midi(song, tmp_path / "trip.mid"))
    got = back.parts[0].notes
    assert len(got) == len(notes)
    for a, b in zip(sorted(notes, key=lambda n: (n.pitch, n.start)),
                    sorted(got, key=lambda n: (n.pitch, n.start)), strict=True):  # fmt: skip
        assert a.pitch == b.pitch and a.velocity == b.velocity
        assert abs(a.start - b.start) <= 0.5 / TICKS_PER_QN + 1e-12
        assert abs(a.end - b.end) <= 0.5 / TICKS_PER_QN + 1e-12
        assert (b.start * TICKS_PER_QN).is_integer()


def test_overlapping_notes_of_one_pitch_both_survive(tmp_path: Path) -> None:
    # Regression: the second note-on replaced the first, which was lost on reading.
    notes = (Note(0.0, 2.0, 60), Note(1.0, 3.0, 60), Note(4.0, 5.0, 60))
    song = Song(parts=(Part(name="p", notes=notes),), bpm=120.0, meter=Meter(4, 4))
    assert read_midi(write_midi(song, tmp_path / "o.mid")).parts[0].notes == notes


def test_a_very_short_note_lasts_one_tick_and_never_hangs(tmp_path: Path) -> None:
    # Regression: a note shorter than half a tick had its note-off written before its
    # note-on at the same tick, leaving it sounding to the end of the file.
    notes = (Note(0.0, 0.0004, 60), Note(1.0, 2.0, 62))
    path = write_midi(Song(parts=(Part(name="p", notes=notes),), bpm=120.0, meter=Meter(4, 4)),
                      tmp_path / "short.mid")  # fmt: skip
    sounding: set[int] = set()
    for msg in mido.MidiFile(path).tracks[1]:
        if msg.type == "note_on" and msg.velocity > 0:
            sounding.add(msg.note)
        elif msg.type in ("note_on", "note_off"):
            sounding.discard(msg.note)
    assert sounding == set()
    assert read_midi(path).parts[0].notes == (Note(0.0, 1 / TICKS_PER_QN, 60), notes[1])


def test_many_parts_never_use_the_drum_channel(tmp_path: Path) -> None:
    parts = tuple(Part(name=f"p{i}", notes=(Note(i, i + 1, 40 + i),), program=i) for i in range(20))
    song = Song(parts=parts, bpm=100.0, meter=Meter(3, 4))
    mid = song_to_midi(song)
    channels = {m.channel for t in mid.tracks for m in t if m.type == "note_on"}
    assert DRUM_CHANNEL not in channels
    assert read_midi(write_midi(song, tmp_path / "many.mid")) == song


def test_drum_notes_are_on_channel_10(tmp_path: Path) -> None:
    mid = song_to_midi(_song(Meter(4, 4)))
    drum_track = next(t for t in mid.tracks if t.name == "drums")
    assert {m.channel for m in drum_track if m.type == "note_on"} == {DRUM_CHANNEL}
    assert not any(m.type == "program_change" for m in drum_track)


def test_reads_a_type_0_file_with_note_on_velocity_zero_offs(tmp_path: Path) -> None:
    mid = mido.MidiFile(type=0, ticks_per_beat=96)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(90)))
    track.append(mido.MetaMessage("time_signature", numerator=6, denominator=8))
    track.append(mido.Message("program_change", program=25, channel=2))
    track.append(mido.Message("note_on", note=64, velocity=80, channel=2, time=0))
    track.append(mido.Message("note_on", note=64, velocity=0, channel=2, time=48))
    track.append(mido.Message("note_on", note=67, velocity=81, channel=2, time=0))
    track.append(mido.Message("note_off", note=67, velocity=0, channel=2, time=144))
    mid.tracks.append(track)
    path = tmp_path / "type0.mid"
    mid.save(path)
    song = read_midi(path)
    assert song.bpm == 90.0
    assert song.meter == Meter(6, 8)
    assert song.parts == (
        Part(name="track0", notes=(Note(0.0, 0.5, 64, 80), Note(0.5, 2.0, 67, 81)), program=25),
    )


def test_song_rejects_a_bad_tempo() -> None:
    for bpm in (0.0, -90.0, float("nan")):
        with pytest.raises(ValueError, match=r"Song\.bpm"):
            Song(parts=(), bpm=bpm, meter=Meter(4, 4))


def test_lyric_events_round_trip_each_before_its_note(tmp_path: Path) -> None:
    notes = (Note(0.0, 1.0, 64), Note(1.0, 1.5, 65), Note(1.5, 3.0, 67), Note(3.0, 4.0, 60))
    sung = [(0.0, "the"), (1.0, "lamp"), (1.5, "is"), (3.0, "on")]
    melody = with_lyric_events(Part(name="melody", notes=notes, program=73), sung)
    chords = Part(name="chords", notes=(Note(0.0, 4.0, 48),), program=4)
    path = write_midi(Song(parts=(chords, melody), bpm=90.0, meter=Meter(4, 4)), tmp_path / "x.mid")
    back = read_midi(path)
    assert lyric_events(back.parts[1]) == tuple(sung)
    assert lyric_events(back.parts[0]) == ()  # only the sung track carries text
    # In the file each syllable comes just before its note-on, at the same tick.
    track = next(t for t in mido.MidiFile(path).tracks if t.name == "melody")
    order = [m.type for m in track if m.type in ("lyrics", "note_on")]
    assert order == ["lyrics", "note_on"] * 4
    # An independent reader finds the text at the notes' times in seconds.
    pm = pretty_midi.PrettyMIDI(str(path))
    assert [ly.text for ly in pm.lyrics] == [text for _, text in sung]
    seconds = [t * 60 / 90.0 for t, _ in sung]
    assert [ly.time for ly in pm.lyrics] == pytest.approx(seconds, abs=1e-4)


def test_with_lyric_events_replaces_and_drops() -> None:
    part = Part(name="melody", notes=(Note(0.0, 1.0, 60),), meta=(("lyrics", "la"),))
    sung = with_lyric_events(part, [(0.0, "la")])
    assert lyric_events(sung) == ((0.0, "la"),) and ("lyrics", "la") in sung.meta
    assert lyric_events(with_lyric_events(sung, [(0.0, "da")])) == ((0.0, "da"),)
    assert with_lyric_events(sung, []).meta == (("lyrics", "la"),)


# ---------------------------------------------------------------- pretty_midi cross-check


@pytest.mark.parametrize(("meter", "bpm"), [("3/4", 84.0), ("7/8", 132.0), ("12/8", 60.0)])
def test_pretty_midi_reads_what_we_wrote(tmp_path: Path, meter: str, bpm: float) -> None:
    song = _song(Meter.parse(meter), bpm=bpm)
    pm = pretty_midi.PrettyMIDI(str(write_midi(song, tmp_path / "x.mid")))
    assert [i.name for i in pm.instruments] == ["melody", "chords", "bass", "drums"]
    assert [i.program for i in pm.instruments] == [73, 4, 33, 0]
    assert [i.is_drum for i in pm.instruments] == [False, False, False, True]
    sigs = pm.time_signature_changes
    assert [(s.numerator, s.denominator, s.time) for s in sigs] == [
        (song.meter.numerator, song.meter.denominator, 0.0)
    ]
    _, tempi = pm.get_tempo_changes()
    assert list(tempi) == pytest.approx([bpm], abs=1e-3)
    for part, inst in zip(song.parts, pm.instruments, strict=True):
        theirs = sorted((n.start, n.end, n.pitch, n.velocity) for n in inst.notes)
        ours = sorted(
            (n.start * 60 / bpm, n.end * 60 / bpm, n.pitch, n.velocity) for n in part.notes
        )
        assert len(theirs) == len(ours)
        for (s1, e1, p1, v1), (s2, e2, p2, v2) in zip(theirs, ours, strict=True):
            assert (p1, v1) == (p2, v2)
            assert s1 == pytest.approx(s2, abs=1e-4)
            assert e1 == pytest.approx(e2, abs=1e-4)
    assert pm.get_end_time() == pytest.approx(song.end * 60 / bpm, abs=1e-4)


# ---------------------------------------------------------------- corrupt inputs


def _valid_bytes(tmp_path: Path) -> bytes:
    return write_midi(_song(Meter(4, 4)), tmp_path / "valid.mid").read_bytes()


def _corpus(tmp_path: Path) -> dict[str, bytes]:
    valid = _valid_bytes(tmp_path)
    rng = random.Random(1234)
    no_notes = mido.MidiFile(type=1)
    no_notes.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    no_notes.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="empty")]))
    bad_meter = song_to_midi(_song(Meter(4, 4)))
    for msg in bad_meter.tracks[0]:
        if msg.type == "time_signature":
            msg.denominator = 32  # valid MIDI, but not a meter the program can use
    type2 = song_to_midi(_song(Meter(4, 4)))
    type2.type = 2
    files = {
        "empty.mid": b"",
        "random.mid": bytes(rng.randrange(256) for _ in range(300)),
        "text.mid": b"this is not a MIDI file\n",
        "header_only.mid": b"MThd",
        "truncated_header.mid": valid[:10],
        "truncated_track.mid": valid[: len(valid) // 2],
        "bad_track_chunk.mid": valid[:14] + b"XXXX" + valid[18:],
    }
    for name, mid in {"no_notes.mid": no_notes, "bad_meter.mid": bad_meter,
                      "type2.mid": type2}.items():  # fmt: skip
        path = tmp_path / f"build_{name}"
        mid.save(path)
        files[name] = path.read_bytes()
    return files


def test_corrupt_corpus_raises_midi_file_error_naming_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "corrupt"
    folder.mkdir()
    corpus = _corpus(tmp_path)
    assert len(corpus) == 10
    for name, data in corpus.items():
        path = folder / name
        path.write_bytes(data)
        with pytest.raises(MidiFileError) as err:
            read_midi(path)
        assert str(path) in str(err.value), name
        assert err.value.file == str(path)


def test_no_notes_and_bad_meter_say_which_field(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    for name, field in (("no_notes.mid", "notes"), ("bad_meter.mid", "time_signature"),
                        ("type2.mid", "type"), ("empty.mid", "contents")):  # fmt: skip
        path = tmp_path / name
        path.write_bytes(corpus[name])
        with pytest.raises(MidiFileError) as err:
            read_midi(path)
        assert err.value.field == field, name


def test_missing_file_and_directory_raise_midi_file_error(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.mid", tmp_path):
        with pytest.raises(MidiFileError) as err:
            read_midi(path)
        assert str(path) in str(err.value)


def test_random_damage_never_escapes_as_another_error(tmp_path: Path) -> None:
    valid = _valid_bytes(tmp_path)
    rng = random.Random(7)
    path = tmp_path / "damaged.mid"
    for _ in range(300):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data[: rng.randrange(len(data) // 2, len(data) + 1)]))
        try:
            song = read_midi(path)
        except MidiFileError as exc:
            assert str(path) in str(exc)
        else:
            assert song.parts  # a readable file always has notes


# ---------------------------------------------------------------- atomic write


def test_write_leaves_only_the_file(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "er" / "song.mid"
    assert write_midi(_song(Meter(3, 4)), out) == out
    assert sorted(p.name for p in out.parent.iterdir()) == ["song.mid"]
    write_midi(_song(Meter(7, 8)), out)  # overwrite
    assert sorted(p.name for p in out.parent.iterdir()) == ["song.mid"]
    assert read_midi(out).meter == Meter(7, 8)


def test_failed_write_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "song.mid"
    write_midi(_song(Meter(3, 4)), out)
    before = out.read_bytes()

    def broken_save(self: mido.MidiFile, filename: object = None, file: object = None) -> None:
        assert file is not None
        file.write(b"MThd\x00\x00\x00\x06half a file")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(mido.MidiFile, "save", broken_save)
    with pytest.raises(StorageError, match=r"song\.mid: cannot write \(disk full\)"):
        write_midi(_song(Meter(7, 8)), out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.mid"]
    monkeypatch.undo()
    assert read_midi(out).meter == Meter(3, 4)


def test_written_file_has_ordinary_permissions(tmp_path: Path) -> None:
    # Regression: mkstemp made every MIDI file 0600 (unreadable to other users and tools).
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x")
    out = write_midi(_song(Meter(4, 4)), tmp_path / "song.mid")
    assert stat.S_IMODE(os.stat(out).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)


def test_write_accepts_a_string_path(tmp_path: Path) -> None:
    out = write_midi(_song(Meter(4, 4)), str(tmp_path / "s.mid"))  # type: ignore[arg-type]
    assert read_midi(out) == _song(Meter(4, 4))


def test_key_markers_and_instrument_names_round_trip(tmp_path: Path) -> None:
    song = replace(
        _song(Meter(3, 4)),
        key=parse_key("Eb minor"),
        markers=((0.0, "intro"), (6.0, "verse"), (12.0, "verse 2")),
    )
    path = write_midi(song, tmp_path / "song.mid", instrument_names=True)
    assert read_midi(path) == song
    titles = [t.name for t in mido.MidiFile(path).tracks[1:]]
    assert titles == [
        "melody - flute",
        "chords - electric piano 1",
        "bass - electric bass (finger)",
        "drums - drum kit",
    ]
    # without instrument names the tracks keep the bare part name (candidate files)
    plain = write_midi(song, tmp_path / "plain.mid")
    assert [t.name for t in mido.MidiFile(plain).tracks[1:]] == [p.name for p in song.parts]


def test_a_marker_needs_a_name_and_a_time() -> None:
    with pytest.raises(ValueError, match=r"Song\.markers"):
        replace(_song(Meter(4, 4)), markers=((-1.0, "verse"),))
    with pytest.raises(ValueError, match=r"Song\.markers"):
        replace(_song(Meter(4, 4)), markers=((0.0, " "),))


def _smf_with_division(division: int) -> bytes:
    """A one-note type 0 file whose header says ``division`` (raw 16 bits)."""
    track = b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff\x2f\x00"
    header = b"MThd" + (6).to_bytes(4, "big") + b"\x00\x00\x00\x01" + division.to_bytes(2, "big")
    return header + b"MTrk" + len(track).to_bytes(4, "big") + track


@pytest.mark.parametrize(
    ("division", "field", "value"),
    [
        (0, "ticks per beat", "0"),
        (0xE728, "time division", "SMPTE 25 fps x 40 ticks per frame"),
        (0xE250, "time division", "SMPTE 30 fps x 80 ticks per frame"),
    ],
)
def test_zero_ticks_and_smpte_timing_are_one_error_naming_the_file(
    tmp_path: Path, division: int, field: str, value: str
) -> None:
    path = tmp_path / "odd.mid"
    path.write_bytes(_smf_with_division(division))
    with pytest.raises(MidiFileError) as info:
        read_midi(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: {field}: ") and value in msg


def test_drum_reader_refuses_smpte_timing_too(tmp_path: Path) -> None:
    from training.drums.tokenizer import read_performance

    path = tmp_path / "groove.mid"
    path.write_bytes(_smf_with_division(0xE728))
    with pytest.raises(MidiFileError, match=r"groove\.mid: time division: 'SMPTE 25 fps"):
        read_performance(path)
    path.write_bytes(_smf_with_division(0))
    with pytest.raises(MidiFileError, match=r"groove\.mid: ticks per beat: 0"):
        read_performance(path)


@pytest.mark.parametrize("kit", [0, 8, 16, 24, 25, 32, 40, 48])
def test_a_drum_parts_program_chooses_the_kit(tmp_path: Path, kit: int) -> None:
    drums = Part(
        "drums", (Note(0.0, 0.5, 36, 100), Note(1.0, 1.5, 38, 90)), program=kit, is_drum=True
    )
    path = write_midi(Song(parts=(drums,), bpm=100, meter=Meter(4, 4)), tmp_path / "kit.mid")
    changes = [m for t in mido.MidiFile(path).tracks for m in t if m.type == "program_change"]
    # The standard kit is implied; any other kit is a program change on channel 10.
    assert [(m.channel, m.program) for m in changes] == ([] if kit == 0 else [(DRUM_CHANNEL, kit)])
    (inst,) = pretty_midi.PrettyMIDI(str(path)).instruments
    assert inst.is_drum and inst.program == kit
    back = read_midi(path).parts[0]
    assert back.is_drum and back.program == kit
