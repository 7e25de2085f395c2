"""The scorer corpus: real-data layouts in, clips with derived text and by-song splits out."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import mido
import numpy as np
import pytest

from music.keys import Key
from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import Note, Part
from scoring.text_encoder import TextEncoder
from training.scorer.corpus import build_corpus, load_corpus
from training.scorer.sources_billboard import parse_harte, parse_song
from training.scorer.sources_common import (
    ChordEvent,
    Clip,
    ClipInfo,
    name_block_chord,
    realise_chords,
    split_of,
)
from training.scorer.sources_midi import TD11_TO_GM, groove_split, groove_style_words
from training.scorer.text import clip_text, describe, measure

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SLOW_MINOR = """# title: Slow Minor Song
# artist: Test Band
# metre: 4/4
# tonic: A

0.0\tsilence
1.0\tA, verse, | A:min | D:min7 | E:7 | A:min |
17.0\t| A:min | D:min7 | E:7 | A:min |
33.0\tB, chorus, | F:maj | C:maj | E:7(b9) | A:min |
49.0\t| F:maj | C:maj/3 | E:7 | A:min |
65.0\tsilence
66.0\tend
"""
FAST_MAJOR = """# title: Fast Major Song
# artist: Other Band
# metre: 4/4
# tonic: D

0.0\tA, intro, | D:maj | G:maj | A:maj | D:maj | x2
12.0\tB, verse, | D:maj | Bb:maj | G:maj | A:7 |
18.0\t| D:maj | G:maj | A:maj | D:maj |
24.0\tend
"""


def _write_billboard(root: Path) -> None:
    for folder, text in (("0001", SLOW_MINOR), ("0002", FAST_MAJOR), ("0003", SLOW_MINOR)):
        (root / "salami_chords" / folder).mkdir(parents=True)
        (root / "salami_chords" / folder / "salami_chords.txt").write_text(text)
    (root / "billboard-2.0-index.csv").write_text(
        "id,chart_date,target_rank,actual_rank,title,artist,peak_rank,weeks_on_chart\n"
        "1,1975-05-03,10,10,Slow Minor Song,Test Band,5,9\n"
        "2,1988-01-02,3,3,Fast Major Song,Other Band,1,12\n"
    )


def _write_groove(root: Path) -> None:
    rows = []
    for n, split in ((1, "train"), (2, "validation")):
        mid = mido.MidiFile(type=0, ticks_per_beat=480)
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100)))
        track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4))
        events = []
        for eighth in range(16 * 8):  # 16 bars of eighths: TD-11 hi-hat edge, kick, snare
            t = eighth * 240
            notes = [22] + ([36] if eighth % 4 == 0 else []) + ([38] if eighth % 4 == 2 else [])
            for p in notes:
                events.append((t, "note_on", p, 90))
                events.append((t + 60, "note_off", p, 0))
        events.sort()
        now = 0
        for t, kind, p, v in events:
            track.append(mido.Message(kind, note=p, velocity=v, channel=9, time=t - now))
            now = t
        mid.tracks.append(track)
        rel = f"drummer1/session1/{n}_funk_100_beat_4-4.mid"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        mid.save(str(root / rel))
        rows.append(
            {
                "drummer": "drummer1",
                "session": "drummer1/session1",
                "id": f"drummer1/session1/{n}",
                "style": "funk/purdieshuffle",
                "bpm": "100",
                "beat_type": "beat",
                "time_signature": "4-4",
                "midi_filename": rel,
                "audio_filename": "",
                "duration": "38.4",
                "split": split,
            }
        )
    rows.append({**rows[0], "id": "drummer1/session1/3", "beat_type": "fill"})
    with (root / "info.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _write_leadsheet(root: Path) -> None:
    from music21 import harmony, key, meter, note, stream

    part = stream.Part()
    part.append(key.KeySignature(-1))
    part.append(meter.TimeSignature("3/4"))
    melody = [62, 65, 69, 67, 65, 64, 62, 61, 62, 69, 70, 69] * 2
    symbols = ["Dm", "A7", "Gm", "Dm"] * 2
    for bar in range(8):
        m = stream.Measure(number=bar + 1)
        m.insert(0, harmony.ChordSymbol(symbols[bar]))
        for beat in range(3):
            m.append(note.Note(melody[bar * 3 + beat], quarterLength=1.0))
        part.append(m)
    score = stream.Score([part])
    folder = root / "dataset" / "Some_Composer" / "Minor_Tune"
    folder.mkdir(parents=True)
    score.write("mxl", fp=str(folder / "Minor_Tune.mxl"))


def _write_nottingham(root: Path) -> None:
    melody = Part(
        "melody", tuple(Note(i * 0.5, i * 0.5 + 0.5, 76 - (i % 5), 90) for i in range(48))
    )
    chords = Part(
        "chords", tuple(Note(b * 3.0, b * 3.0 + 3.0, p, 70) for b in range(8) for p in (52, 55, 59))
    )
    write_midi(
        Song(parts=(melody, chords), bpm=120, meter=Meter(6, 8)), root / "MIDI" / "jigs7.mid"
    )


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder.load()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, encoder: TextEncoder) -> tuple[Path, dict]:
    data = tmp_path_factory.mktemp("data")
    _write_billboard(data / "billboard")
    _write_groove(data / "groove-midi")
    _write_leadsheet(data / "openewld")
    _write_nottingham(data / "nottingham")
    out = tmp_path_factory.mktemp("out") / "corpus.npz"
    build_corpus(data_dir=data, out=out, max_clips_per_source=3, seed=7, encoder=encoder)
    return out, json.loads(out.with_suffix(".json").read_text())


def test_counts_per_source(built: tuple[Path, dict]) -> None:
    _, summary = built
    # billboard: 2 songs (the third file repeats the first), 2 sections each, capped at 3
    assert summary["per_source"] == {
        "billboard": 3,
        "bach": 3,
        "openewld": 1,
        "nottingham": 1,
        "groove": 3,
    }
    assert summary["songs_per_source"]["billboard"] == 2
    assert summary["songs_per_source"]["groove"] == 2  # the fill is not used
    assert summary["missing_sources"] == []
    assert summary["clips"] == 11 and sum(summary["per_split"].values()) == 11


def test_arrays_round_trip(built: tuple[Path, dict], encoder: TextEncoder) -> None:
    path, _ = built
    corpus = load_corpus(path)
    assert len(corpus) == 11
    assert corpus.rolls.shape == (11, 2, 128, 128) and corpus.rolls.dtype == np.uint8
    assert corpus.symbolic.shape == (11, 32) and corpus.symbolic.dtype == np.float16
    assert corpus.text_emb.shape == (11, 384) and corpus.text_emb.dtype == np.float16
    expected = encoder.encode([str(t) for t in corpus.texts])
    np.testing.assert_allclose(corpus.text_emb.astype(np.float32), expected, atol=2e-3)
    assert corpus.rolls.max() <= 127 and corpus.rolls_float([0]).max() <= 1.0
    assert all(corpus.rolls[i, 0].any() or corpus.sources[i] == "groove" for i in range(11))
    sizes = sum(len(corpus.indices(s)) for s in ("train", "val", "test"))
    assert sizes == 11


def test_text_is_derived_from_the_music(built: tuple[Path, dict]) -> None:
    corpus = load_corpus(built[0])
    rows = [i for i in range(len(corpus)) if corpus.song_ids[i] == "billboard:0001"]
    assert rows
    for i in rows:
        text = str(corpus.texts[i]).lower()
        assert "minor" in text and "slow" in text, text
    fast = [i for i in range(len(corpus)) if corpus.song_ids[i] == "billboard:0002"]
    for i in fast:
        text = str(corpus.texts[i]).lower()
        assert "d major" in text and "fast" in text and "slow" not in text, text
    for i in np.nonzero(corpus.sources == "groove")[0]:
        text, tags = str(corpus.texts[i]).lower(), str(corpus.tags[i])
        assert "major" not in text and "minor" not in text  # drums state no key
        assert "100 bpm" in text or "moderate" in text
        assert "drums_only=true" in tags
    lead = int(np.nonzero(corpus.sources == "openewld")[0][0])
    assert "d minor" in str(corpus.texts[lead]).lower()


def test_no_song_in_two_splits(built: tuple[Path, dict]) -> None:
    corpus = load_corpus(built[0])
    split_of_song: dict[str, str] = {}
    for song, split in zip(corpus.song_ids, corpus.splits, strict=True):
        assert split_of_song.setdefault(str(song), str(split)) == str(split)
    groove = {
        str(s): str(p)
        for s, p in zip(corpus.song_ids, corpus.splits, strict=True)
        if str(s).startswith("groove:")
    }
    assert groove["groove:drummer1/session1/2"] == "val"  # GMD's validation split is kept


def test_td11_drums_are_mapped_to_gm(built: tuple[Path, dict]) -> None:
    corpus = load_corpus(built[0])
    row = int(np.nonzero(corpus.sources == "groove")[0][0])
    onsets = corpus.rolls[row, 1]
    assert onsets[42].sum() > 0 and onsets[22].sum() == 0  # closed hi-hat edge -> 42
    assert TD11_TO_GM[58] == 43 and TD11_TO_GM[40] == 38


def test_split_is_stable_and_roughly_80_10_10() -> None:
    splits = [split_of(f"song{i}") for i in range(3000)]
    assert splits == [split_of(f"song{i}") for i in range(3000)]
    share = {s: splits.count(s) / 3000 for s in ("train", "val", "test")}
    assert 0.77 < share["train"] < 0.83 and 0.08 < share["val"] < 0.12
    assert groove_split("x", "validation") == "val"
    assert groove_split("x", "train") in ("train", "test")


def test_billboard_parsing() -> None:
    def chord(symbol: str) -> tuple[int, tuple[int, ...], int]:
        c = parse_harte(symbol)
        return c.root, c.intervals, c.bass

    assert chord("D:min7/b7") == (2, (0, 3, 7, 10), 10)
    assert chord("E:7(b9)") == (4, (0, 4, 7, 10, 13), 0)
    assert chord("C:(1,5)") == (0, (0, 7), 0)
    song = parse_song(SLOW_MINOR, song_id="t")
    assert song.bpm == pytest.approx(60.0)
    assert [s.label for s in song.sections] == ["verse", "chorus"]
    assert sum(c.qn for c in song.sections[0].chords) == 32.0
    fast = parse_song(FAST_MAJOR, song_id="f")
    assert fast.bpm == pytest.approx(160.0)  # "x2": 8 bars in 12 s
    with pytest.raises(ValueError, match="quality"):
        parse_harte("C:weird")


def test_realised_chords_and_block_chord_names() -> None:
    chords = (ChordEvent(0.0, 4.0, 9, (0, 3, 7)), ChordEvent(4.0, 4.0, 4, (0, 4, 7, 10), 4))
    upper, bass = realise_chords(chords, Meter(4, 4), comping="beats", bass_every_beat=False)
    first = {n.pitch % 12 for n in upper.notes if n.start == 0.0}
    assert first == {9, 0, 4}
    assert len({n.start for n in upper.notes}) == 8  # one onset per beat
    assert [n.pitch % 12 for n in bass.notes] == [9, 8]  # E7 over its third G#
    assert name_block_chord([43, 47, 50, 53]) == (7, (0, 4, 7, 10), 0)


def test_mood_and_feel_words_follow_measurements() -> None:
    low_minor = Part(
        "p", tuple(Note(b * 4.0, b * 4.0 + 4.0, p, 70) for b in range(8) for p in (45, 48, 52))
    )
    info = ClipInfo(
        source="t",
        song_id="t:1",
        key=Key(9, "minor"),
        tempo_known=True,
        style=("test",),
        ensemble=("chords",),
    )
    slow = Clip(parts=(low_minor,), bpm=60.0, meter=Meter(4, 4), info=info)
    d = describe(slow, measure(slow))
    assert (d.mode, d.tempo, d.density, d.register, d.mood) == (
        "minor",
        "slow",
        "sparse",
        "low",
        "dark",
    )
    high_major = Part("p", tuple(Note(i * 0.5, i * 0.5 + 0.5, 76 + i % 5, 90) for i in range(64)))
    bright = Clip(
        parts=(high_major,),
        bpm=150.0,
        meter=Meter(4, 4),
        info=ClipInfo(
            source="t",
            song_id="t:2",
            key=Key(0, "major"),
            tempo_known=True,
            style=("test",),
            ensemble=(),
        ),
    )
    d2 = describe(bright, measure(bright))
    assert (d2.tempo, d2.density, d2.register, d2.mood) == ("fast", "busy", "high", "bright")
    swung = Part(
        "p", tuple(Note(i + off, i + off + 0.3, 60, 80) for i in range(32) for off in (0.0, 2 / 3))
    )
    clip = Clip(
        parts=(swung,),
        bpm=120.0,
        meter=Meter(4, 4),
        info=ClipInfo(
            source="t", song_id="t:3", key=None, tempo_known=False, style=("test",), ensemble=()
        ),
    )
    assert describe(clip, measure(clip)).feel == "swung"
    texts = {clip_text(slow, np.random.default_rng(i))[0] for i in range(12)}
    assert len(texts) >= 8  # templates and word choices vary
    assert all("minor" in t and "slow" in t for t in texts)


def test_groove_style_words() -> None:
    assert groove_style_words("rock/halftime") == ("half-time rock", "rock", "half-time")
    assert groove_style_words("hiphop") == ("hip-hop",)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sources"):
        build_corpus(
            data_dir=tmp_path,
            out=tmp_path / "c.npz",
            max_clips_per_source=1,
            seed=0,
            sources=("nope",),
        )
    with pytest.raises(ValueError, match="no clips"):
        build_corpus(
            data_dir=tmp_path,
            out=tmp_path / "c.npz",
            max_clips_per_source=1,
            seed=0,
            sources=("billboard", "groove"),
        )
    with pytest.raises(ValueError, match="no such file"):
        load_corpus(tmp_path / "missing.npz")


def test_slash_chord_symbols_keep_every_tone() -> None:
    from music21 import harmony, stream

    from training.scorer.sources_music21 import chord_symbol_events

    s = stream.Stream()
    s.insert(0.0, harmony.ChordSymbol("C/E"))
    s.insert(4.0, harmony.ChordSymbol("Am/G"))
    events = chord_symbol_events(s.flatten(), 8.0, 0.0)
    assert [(e.start, e.qn, e.root, e.intervals, e.bass) for e in events] == [
        (0.0, 4.0, 0, (0, 4, 7), 4),
        (4.0, 4.0, 9, (0, 3, 7, 10), 10),
    ]
