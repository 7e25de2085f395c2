"""The transcription corpus's harmony from Nottingham, Billboard and the Bach chorales and its
melodies from Nottingham and OpenEWLD: tiny stand-ins built here, song-level splits that
follow the style corpora's held-out split, and labels that are the source's chords."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from music.midi_io import read_midi
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
    openewld_files,
    read_billboard,
    read_chorale_chords,
    read_openewld_melody,
)
from training.transcribe.sources import SPLITS, Chord

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
    chorale = read_chorale_chords(data / "bach" / "Chorales" / "000" / "analysis.txt")
    assert chorale is not None and chorale.chords[-1].end == 64.0
    assert [c.pitches[0] % 12 for c in chorale.chords[:4]] == [10, 3, 5, 10]
    melody = read_openewld_melody(data / "openewld" / "Sheet_00.mxl")
    assert melody is not None and not melody.chords
    assert [n.pitch for n in melody.melody[:4]] == [69, 71, 72, 76]
    mixed = combine(chart, melody, np.random.default_rng(0))
    assert mixed.melody and mixed.chords and mixed.chords[0].start == 0.0
    assert max(n.end for n in mixed.melody) <= mixed.chords[-1].end + 1e-9


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
