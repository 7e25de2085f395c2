"""The transcription corpus's harmony from Nottingham, Billboard and the Bach chorales and its
melodies from Nottingham and OpenEWLD: tiny stand-ins built here, song-level splits that
follow the style corpora's held-out split, and labels that are the source's chords."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from music.keys import Key
from music.midi_io import read_midi
from music.notes import Note
from tests.training.transcribe_data import (
    write_billboard,
    write_chorales,
    write_groove,
    write_nottingham,
    write_openewld,
)
from training.style.rows import split_of as style_split_of
from training.transcribe.corpus import CorpusConfig, render_corpus
from training.transcribe.more_sources import (
    FROM_STYLE_SPLIT,
    billboard_files,
    chorale_files,
    combine,
    match_key,
    openewld_files,
    read_billboard,
    read_chorale_chords,
    read_openewld_melody,
)
from training.transcribe.sources import SPLITS, Chord, Tune

#: Chord roots of each stand-in's harmony, as pitch classes.
ROOTS = {"billboard": {2, 4}, "bach": {10, 3, 5}, "nottingham": {0, 5, 7, 9}}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    write_nottingham(root / "nottingham")
    write_groove(root / "groove")
    write_billboard(root / "billboard")
    write_chorales(root / "bach")
    write_openewld(root / "openewld")
    return root


@pytest.fixture(scope="module")
def corpus(data: Path) -> Path:
    cfg = CorpusConfig(
        nottingham=data / "nottingham",
        groove=data / "groove",
        out=data / "corpus",
        billboard=data / "billboard",
        bach=data / "bach",
        openewld=data / "openewld",
        songs=(12, 3, 3),
        seconds=6.0,
    )
    render_corpus(cfg)
    return cfg.out


def test_readers_give_the_sources_chords_and_melody(data: Path) -> None:
    chart = read_billboard(data / "billboard" / "salami_chords" / "0000" / "salami_chords.txt")
    assert chart is not None
    assert [(c.start, c.end, c.pitches) for c in chart.chords[:4]] == [
        (0.0, 4.0, (50, 53, 57)),
        (4.0, 8.0, (52, 55, 59)),
        (8.0, 10.0, (50, 53, 57)),
        (10.0, 12.0, (52, 55, 59)),
    ]
    assert chart.chords[4] == Chord(12.0, 16.0, (52, 55, 59))  # "." holds
    assert chart.key == Key(2, "minor")  # "# tonic: D", the tonic triad minor
    chorale = read_chorale_chords(data / "bach" / "Chorales" / "000" / "analysis.txt")
    assert chorale is not None and chorale.chords[-1].end == 64.0
    assert [c.pitches[0] % 12 for c in chorale.chords[:4]] == [10, 3, 5, 10]
    assert chorale.key == Key(10, "major")  # "Bb:"
    melody = read_openewld_melody(data / "openewld" / "Sheet_00.mxl")
    assert melody is not None and not melody.chords
    assert [n.pitch for n in melody.melody[:4]] == [69, 71, 72, 76]
    mixed = combine(chart, melody, np.random.default_rng(0))
    assert mixed.melody and mixed.chords and mixed.chords[0].start == 0.0
    assert max(n.end for n in mixed.melody) <= mixed.chords[-1].end + 1e-9


#: Four bars of a major tune (semitones above its tonic), and of a minor one.
_MAJOR_BARS = ((0, 4, 7, 4), (5, 9, 11, 7), (2, 7, 11, 2), (0, 4, 0, 0))
_MINOR_BARS = ((0, 3, 7, 3), (5, 8, 11, 7), (2, 7, 11, 2), (0, 3, 0, 0))


def _melody(bars: tuple[tuple[int, ...], ...], tonic: int, key: Key | None = None) -> Tune:
    """Eight times ``bars`` in quarter notes from MIDI ``tonic``, with no chords."""
    notes = tuple(
        Note(float(16 * r + 4 * b + k), float(16 * r + 4 * b + k + 1), tonic + step, 90)
        for r in range(8)
        for b, bar in enumerate(bars)
        for k, step in enumerate(bar)
    )
    return Tune("melody", notes, (), 4, key)


def _harmony(tonic: int, minor: bool, key: Key | None = None) -> Tune:
    """I IV V I in ``tonic`` (a pitch class, from C3), 32 bars, with no melody."""
    third = 3 if minor else 4
    shapes = ((0, third, 7), (5, 5 + third, 12), (7, 11, 14), (0, third, 7))
    chords = tuple(
        Chord(4.0 * b, 4.0 * b + 4, tuple(48 + tonic + iv for iv in shapes[b % 4]))
        for b in range(32)
    )
    return Tune("harmony", (), chords, 4, key)


def _heard_key(notes: tuple[Note, ...]) -> tuple[int, str]:
    """music21's key analysis of ``notes`` (its own profile and code, not this project's)."""
    from music21 import note, stream

    part = stream.Part()
    for n in notes:
        part.insert(n.start, note.Note(n.pitch, quarterLength=n.end - n.start))
    found = part.analyze("key")
    return int(found.tonic.pitchClass), str(found.mode)


@pytest.mark.parametrize(
    ("melody", "harmony", "key"),
    [
        (_melody(_MAJOR_BARS, 60), _harmony(4, minor=False), (4, "major")),
        (_melody(_MAJOR_BARS, 67), _harmony(9, minor=True), (9, "minor")),
        (_melody(_MINOR_BARS, 62, Key(2, "minor")), _harmony(0, False, Key(0)), (0, "major")),
        (_melody(_MINOR_BARS, 69), _harmony(2, minor=True), (2, "minor")),
    ],
)
def test_a_melody_over_another_songs_harmony_is_moved_into_its_key(
    melody: Tune, harmony: Tune, key: tuple[int, str]
) -> None:
    chord_tones = tuple(Note(c.start, c.end, p, 90) for c in harmony.chords for p in c.pitches)
    assert _heard_key(chord_tones) == key
    assert _heard_key(melody.melody) != key
    for seed in range(3):
        mixed = combine(harmony, melody, np.random.default_rng(seed))
        assert len(mixed.melody) >= 32
        assert _heard_key(mixed.melody) == key, seed
        assert all(48 <= n.pitch <= 84 for n in mixed.melody)


def test_a_melody_already_in_the_harmonys_key_is_unchanged() -> None:
    melody = _melody(_MAJOR_BARS, 64)
    harmony = _harmony(4, minor=False)
    assert match_key(melody.melody, (4, "major"), (4, "major")) == melody.melody
    originals = {(n.start, n.end, n.pitch) for n in melody.melody}
    for seed in range(3):
        mixed = combine(harmony, melody, np.random.default_rng(seed))
        assert len(mixed.melody) >= 32
        # The melody's window starts on some bar of the melody: every note is the original's.
        assert any(
            {(n.start + bar, n.end + bar, n.pitch) for n in mixed.melody} <= originals
            for bar in range(0, 128, 4)
        ), seed


def test_splits_follow_the_style_corpora_and_keep_duplicates_together(
    data: Path, tmp_path: Path
) -> None:
    for split in SPLITS:
        for path in openewld_files(data / "openewld", split):
            assert FROM_STYLE_SPLIT[style_split_of(f"openewld/{path.stem}")] == split
        for path in chorale_files(data / "bach", split):
            i = int(path.parent.name)
            key = f"chorales/bach/bwv{i}" if i % 2 else f"chorales/{path.parent.name}"
            assert FROM_STYLE_SPLIT[style_split_of(key)] == split
    same = tmp_path / "dupes"
    write_billboard(same, n=12)
    for path in same.glob("salami_chords/*/salami_chords.txt"):
        text = path.read_text().splitlines()
        path.write_text("\n".join(["# title: One Song", "# artist: One Band", *text[2:]]) + "\n")
    counts = [len(billboard_files(same, split)) for split in SPLITS]
    assert sorted(counts) == [0, 0, 12]


def test_corpus_draws_every_source_and_keeps_songs_in_one_split(corpus: Path) -> None:
    metas = [json.loads(p.read_text()) for p in sorted(corpus.glob("*/*/metadata.json"))]
    assert len(metas) == 18
    assert {m["sources"]["harmony"] for m in metas} == {"nottingham", "billboard", "bach"}
    assert {m["sources"]["melody"] for m in metas} == {"nottingham", "openewld"}
    by_split: dict[str, set[str]] = {}
    for meta in metas:
        by_split.setdefault(meta["split"], set()).update({meta["tune"], meta["melody"]})
    for a in SPLITS:
        for b in SPLITS:
            if a < b:
                assert not by_split.get(a, set()) & by_split.get(b, set()), (a, b)


def test_bass_labels_are_the_harmony_sources_roots(corpus: Path) -> None:
    for path in sorted(corpus.glob("*/*/metadata.json")):
        meta = json.loads(path.read_text())
        bass = read_midi(path.parent / "MIDI" / "bass.mid").parts
        classes = {n.pitch % 12 for part in bass for n in part.notes}
        roots = ROOTS[meta["sources"]["harmony"]]
        if meta["patterns"]["bass"] == "root_fifth":
            roots = roots | {(r + 7) % 12 for r in roots}
        assert classes <= roots, (meta["song"], classes)
