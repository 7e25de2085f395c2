"""A catalogue track with a recording and no MIDI trains the MIDI branch too: the shipped
transcription models turn its recording (rendered here through the SoundFont from a known bass
line) into MIDI once, cached by the audio's hash under the catalogue's cache folder, and its
windows join the training rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from music.meter import qn_to_seconds
from music.midi_io import read_midi, write_midi
from music.notes import Note, Part
from render.synth import SAMPLE_RATE, synthesize
from render.transcription.decode import NoteEvent
from render.transcription.transcriber import installed_models
from scoring.text_encoder import TextEncoder
from tests.training.test_catalogue import _song, debug_base, write_yaml
from training.scorer.catalogue import CatalogueError, load_catalogue
from training.scorer.supervised import build_examples, train_catalogue
from training.scorer.transcribed import CACHE_DIR, Transcriptions
from training.transcribe.evaluate import note_f

BPM = 100.0
#: A bass line of roots and fifths, a note a beat for four bars (A1 E2 C2 G2 F2 C2 D2 A1).
BASS = tuple(
    Note(b * 4.0 + k, b * 4.0 + k + 0.8, ((33, 40), (36, 43), (41, 36), (38, 33))[b][k % 2], 100)
    for b in range(4)
    for k in range(4)
)


@pytest.fixture(scope="module")
def text() -> TextEncoder:
    return TextEncoder.load()


def _catalogue(root: Path) -> Path:
    """Two MIDI tracks and one recording without MIDI."""
    (root / "midi").mkdir(parents=True)
    (root / "audio").mkdir()
    tracks: list[dict[str, str]] = []
    for i, color in enumerate(("Green", "Yellow")):
        write_midi(_song(i == 0, seed=i), root / "midi" / f"t{i}.mid")
        tracks.append(
            {"midi": f"midi/t{i}.mid", "concept": f"a song about the harbour {i}", "color": color}
        )
    audio = synthesize(Part("bass", BASS, program=33), bpm=BPM)
    sf.write(str(root / "audio" / "take.wav"), audio, SAMPLE_RATE)
    tracks.append(
        {"id": "take", "audio": "audio/take.wav", "concept": "a bass line", "color": "Red"}
    )
    write_yaml(root / "catalogue.yml", {"tracks": tracks})
    return root


def _events(notes: tuple[Note, ...], bpm: float) -> list[NoteEvent]:
    return [
        NoteEvent(qn_to_seconds(n.start, bpm), qn_to_seconds(n.end, bpm), n.pitch) for n in notes
    ]


def test_an_audio_only_track_is_transcribed_once_and_joins_the_midi_rows(
    tmp_path: Path, text: TextEncoder
) -> None:
    cat = load_catalogue(_catalogue(tmp_path / "cat"))
    audio = cat.root / "audio" / "take.wav"
    sym_mean = np.full(32, 0.5, np.float32)
    first = Transcriptions(cat.root / CACHE_DIR, installed_models())
    ex = build_examples(cat, text, sym_mean, first)
    cached = first.cached(audio)
    assert first.transcribed == [audio] and first.reused == [] and cached.is_file()
    # The cached MIDI holds the bass line the recording plays.
    song = read_midi(cached)
    bass = next(p for p in song.parts if p.name == "bass")
    _, _, f1 = note_f(_events(BASS, BPM), _events(bass.notes, song.bpm), offsets=False)
    assert f1 >= 0.9, f"bass note F1 {f1:.3f}"
    # Its rows carry a piano roll and symbolic features of its own, not the empty stand-in.
    rows = ex.track == 2
    assert ex.roll[rows].sum() > 0 and not np.allclose(ex.symbolic[rows], sym_mean)
    # A second pass reads the cache: nothing transcribed, the same rows.
    stamp = cached.stat().st_mtime_ns
    again = Transcriptions(cat.root / CACHE_DIR, installed_models())
    ex2 = build_examples(cat, text, sym_mean, again)
    assert again.transcribed == [] and again.reused == [audio]
    assert cached.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(ex2.roll, ex.roll)
    # Other models (here the bass model alone) hear it afresh: the cache is keyed on them too.
    models = installed_models()
    fewer = Transcriptions(cat.root / CACHE_DIR, {"bass": models["bass"]})
    assert fewer.cached(audio) != cached
    build_examples(cat, text, sym_mean, fewer)
    assert fewer.transcribed == [audio] and fewer.reused == []
    # Without transcription the track is one window with an empty roll.
    bare = build_examples(cat, text, sym_mean)
    assert bare.roll[bare.track == 2].sum() == 0


def test_training_counts_the_transcribed_tracks(tmp_path: Path, text: TextEncoder) -> None:
    root = _catalogue(tmp_path / "cat")
    base = debug_base(tmp_path / "base.npz", text)
    out = tmp_path / "model" / "m.onnx"
    result = train_catalogue(root, out=out, base=base, steps=5, text_encoder=text)
    assert result.transcribed == 1
    side = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert side["training_data"]["catalogue"]["transcribed_audio"] == 1
    plain = train_catalogue(root, out=out, base=base, steps=5, text_encoder=text, transcribe=False)
    assert plain.transcribed == 0


def test_a_track_of_stems_is_transcribed_stem_by_stem(tmp_path: Path, text: TextEncoder) -> None:
    root = _catalogue(tmp_path / "cat")
    kit = tuple(Note(k, k + 0.1, (36, 38)[k % 2], 110) for k in range(16))
    sf.write(
        str(root / "audio" / "kit.wav"),
        synthesize(Part("drums", kit, is_drum=True), bpm=BPM),
        SAMPLE_RATE,
    )
    (root / "audio" / "take.wav").rename(root / "audio" / "bass.wav")
    entry = {"id": "stems", "concept": "a bass line and a beat", "color": "Red"}
    stems = {"fretless bass": "audio/bass.wav", "drums": "audio/kit.wav"}
    write_yaml(
        root / "catalogue.yml",
        {
            "tracks": [
                {"midi": "midi/t0.mid", "concept": "a song about the harbour", "color": "Green"},
                {**entry, "stems": stems},
            ]
        },
    )
    cat = load_catalogue(root)
    assert cat.tracks[1].stems == (
        ("bass", root / "audio" / "bass.wav"),
        ("drums", root / "audio" / "kit.wav"),
    )
    first = Transcriptions(cat.root / CACHE_DIR, installed_models())
    song = first.song_of_stems(cat.tracks[1].stems)
    assert [p.name for p in song.parts] == ["bass", "drums"] and song.parts[1].is_drum
    _, _, f1 = note_f(_events(BASS, BPM), _events(song.parts[0].notes, song.bpm), offsets=False)
    assert f1 >= 0.9, f"bass note F1 {f1:.3f}"
    kicks = [n.start for n in song.parts[1].notes if n.pitch == 36]
    assert len(kicks) >= 6, kicks  # 8 kicks played
    assert first.cached(root / "audio" / "bass.wav", "bass").is_file()
    assert len(first.transcribed) == 2
    again = Transcriptions(cat.root / CACHE_DIR, installed_models())
    assert again.song_of_stems(cat.tracks[1].stems) == song and again.transcribed == []
    ex = build_examples(cat, text, np.full(32, 0.5, np.float32), again)
    assert ex.roll[ex.track == 1].sum() > 0


def test_a_stem_name_nobody_knows_names_the_field(tmp_path: Path) -> None:
    root = _catalogue(tmp_path / "cat")
    write_yaml(
        root / "catalogue.yml",
        {
            "tracks": [
                {"midi": "midi/t0.mid", "concept": "a song about the harbour", "color": "Green"},
                {"stems": {"kazoo": "audio/take.wav"}, "concept": "a kazoo tune", "color": "Red"},
            ]
        },
    )
    with pytest.raises(CatalogueError, match=r"tracks\[1\].stems.kazoo: 'kazoo' -- one of bass"):
        load_catalogue(root)
