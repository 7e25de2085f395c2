"""The Slakh-like corpus: rendered stems with their MIDI, song-level splits, programs from the
stem ranges, and per-stem index files with silent and empty stems filtered out."""

from __future__ import annotations

import json
import shutil
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from music.meter import Meter
from music.midi_io import Song, read_midi, write_midi
from music.notes import Note, Part
from render.audio_io import read_audio, write_audio
from render.synth import Synthesizer
from render.transcription.taxonomy import BY_NAME
from tests.training.transcribe_data import tiny_corpus
from training.transcribe.corpus import CORPUS_STEMS, PITCHED_STEMS
from training.transcribe.indexer import (
    build_index,
    filter_index,
    index_path,
    percussion_stem,
    read_index,
)
from training.transcribe.sources import (
    Chord,
    Tune,
    guitar_part,
    guitar_shape,
    lead_voices,
    pad_part,
    strings_part,
)

#: C major, C major again, F major, G major: a bar each in 4/4.
_TUNE = Tune(
    "t",
    (),
    (
        Chord(0.0, 4.0, (48, 52, 55)),
        Chord(4.0, 8.0, (48, 52, 55)),
        Chord(8.0, 12.0, (53, 57, 60)),
        Chord(12.0, 16.0, (55, 59, 62)),
    ),
    4,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_corpus(tmp_path_factory.mktemp("transcribe"))


def test_songs_have_stems_midi_and_programs_in_range(corpus: Path) -> None:
    metas = [json.loads(p.read_text()) for p in sorted(corpus.glob("*/*/metadata.json"))]
    assert len(metas) == 10
    for meta in metas:
        for name, stem in meta["stems"].items():
            audio, sr = read_audio(corpus / meta["split"] / meta["song"] / stem["audio"])
            assert sr == 16000 and audio.shape[0] == 6 * 16000
            if not BY_NAME[name].is_drum:
                assert stem["program"] in BY_NAME[name].programs
        assert set(meta["stems"]) == set(CORPUS_STEMS)
    effects = [stem["effects"] for meta in metas for stem in meta["stems"].values()]
    assert {} in effects and any("reverb_room" in fx for fx in effects)
    for meta in metas:
        for name in PITCHED_STEMS:
            midi = read_midi(corpus / meta["split"] / meta["song"] / "MIDI" / f"{name}.mid")
            spec = BY_NAME[name]
            assert all(spec.low <= n.pitch <= spec.high for n in midi.parts[0].notes), name


def test_no_tune_or_groove_in_two_splits(corpus: Path) -> None:
    by_split: dict[str, set[str]] = {}
    for p in corpus.glob("*/*/metadata.json"):
        meta = json.loads(p.read_text())
        by_split.setdefault(meta["split"], set()).update({meta["tune"], meta["groove"]})
    splits = list(by_split.values())
    assert len(splits) == 3
    for i, a in enumerate(splits):
        for b in splits[i + 1 :]:
            assert not a & b


def test_index_files_per_stem(corpus: Path) -> None:
    for stem in ("bass", "drums", "high_percs"):
        full = json.loads(index_path(corpus, stem, filtered=False).read_text())
        assert len(full) == 10
        entry = full[0]
        assert entry["stem"] == stem and entry["metadata"]["role"] == str(BY_NAME[stem].role)
        assert entry["metadata"]["is_drum"] == BY_NAME[stem].is_drum
    assert {e["split"] for e in read_index(corpus, "bass", "train")} == {"train"}


def test_filter_drops_silent_audio_and_empty_midi(corpus: Path, tmp_path: Path) -> None:
    copy = tmp_path / "corpus"
    shutil.copytree(corpus, copy)
    entries = build_index(copy, "bass")[:3]
    write_audio(copy / entries[0]["audio"], np.zeros((16000, 1), dtype=np.float32), 16000)
    empty = Song(parts=(Part("bass", ()),), bpm=60.0, meter=Meter(4, 4))
    write_midi(empty, copy / entries[1]["midi"])
    kept = filter_index(copy, entries)
    assert [e["song"] for e in kept] == [entries[2]["song"]]
    assert kept[0]["notes"] > 0 and kept[0]["rms_db"] > -60


def test_percussion_heuristic_tells_kick_from_hats() -> None:
    with Synthesizer(sample_rate=16000) as synth:

        def render(pitch: int) -> np.ndarray:
            notes = tuple(Note(t * 0.5, t * 0.5 + 0.1, pitch, 100) for t in range(8))
            return synth.render_part(Part("d", notes, is_drum=True), 60.0, channels=1)

        assert percussion_stem(render(36), 16000) == "drums"
        assert percussion_stem(render(45), 16000) == "drums"
        assert percussion_stem(render(42), 16000) == "high_percs"
        assert percussion_stem(render(49), 16000) == "high_percs"


def test_guitar_shape_spans_the_strings_from_the_root() -> None:
    assert guitar_shape((48, 52, 55), 40) == [48, 55, 60, 64, 67, 72]
    assert guitar_shape((45, 48, 52), 40) == [45, 52, 57, 60, 64, 69]


def test_guitar_strums_downwards_string_by_string_and_arpeggios_ring() -> None:
    strum = guitar_part(_TUNE, "strum", np.random.default_rng(0))
    first = [n for n in strum if n.start < 0.3]
    assert [n.pitch for n in first] == sorted(n.pitch for n in first) and len(first) >= 4
    assert all(b.start > a.start for a, b in pairwise(first))
    arp = guitar_part(_TUNE, "arpeggio", np.random.default_rng(0))
    bar = [n for n in arp if n.start < 4.0]
    assert len(bar) == 8 and bar[0].end == 4.0 and all(n.end <= 4.0 for n in bar)
    assert len({n.pitch for n in bar}) >= 5


def test_string_voices_move_to_the_nearest_chord_tones() -> None:
    assert lead_voices((53, 57, 60), (60, 64, 67), 55) == (60, 65, 69)
    assert lead_voices((55, 59, 62), (60, 65, 69), 55) == (59, 62, 67)
    assert lead_voices((48, 52, 55), (), 55) == (55, 60, 64)


def test_strings_hold_chords_and_pads_tie_repeats() -> None:
    strings = strings_part(_TUNE, "sustained", np.random.default_rng(0))
    assert len(strings) == 4 * 3  # the two C major bars are one held chord
    assert {n.end - n.start for n in strings} == {8.0, 4.0}
    bowed = strings_part(_TUNE, "half_bars", np.random.default_rng(0))
    assert len(bowed) == 4 * 8 and {n.end - n.start for n in bowed} == {2.0}
    pad = pad_part(_TUNE, "held", np.random.default_rng(0))
    assert [n.end for n in pad if n.start == 0.0] == [8.0, 8.0, 8.0]
    open_pad = pad_part(_TUNE, "open", np.random.default_rng(0))
    c_major = sorted(n.pitch for n in open_pad if n.start == 0.0)
    assert c_major[2] - c_major[0] == 16  # the third a tenth above the root
