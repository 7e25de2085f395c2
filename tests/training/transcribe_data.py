"""Tiny stand-ins for the Nottingham and Groove folders, built in code, so the transcription
corpus, index, training and evaluation tests need nothing outside the repository."""

from __future__ import annotations

from pathlib import Path

from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import Note, Part
from training.transcribe.corpus import CORPUS_STEMS, CorpusConfig, render_corpus
from training.transcribe.indexer import write_indices

#: Chord roots of the tunes (C, F, G, A minor), cycled with an offset per tune.
_ROOTS = (48, 53, 55, 57)


def write_nottingham(folder: Path, n: int = 30) -> Path:
    """``n`` two-track tunes (melody, block chords; 120 bpm, 4/4, 16 bars) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(n):
        chords, melody = [], []
        for bar in range(16):
            root = _ROOTS[(bar + t) % 4]
            chords += [Note(bar * 4.0, bar * 4.0 + 4.0, root + iv) for iv in (0, 4, 7)]
            melody += [
                Note(bar * 4.0 + b, bar * 4.0 + b + 1.0, root + 24 + (0, 2, 4, 7)[(b + t) % 4])
                for b in range(4)
            ]
        song = Song(
            parts=(Part("melody", tuple(melody)), Part("chords", tuple(chords))),
            bpm=120.0,
            meter=Meter(4, 4),
        )
        write_midi(song, folder / f"tune{t:02d}.mid")
    return folder


def write_groove(folder: Path, n_train: int = 4, n_validation: int = 8) -> Path:
    """A Groove-like folder: ``info.csv`` and 8-bar rock beats in TD-11 notes."""
    rows = ["drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,split"]
    for i in range(n_train + n_validation):
        split = "train" if i < n_train else "validation"
        name = f"drummer1/s1/{i}_rock_100_beat_4-4.mid"
        hits = []
        for step in range(8 * 8):
            t = step * 0.5
            hits.append(Note(t, t + 0.1, 42, 80))
            if step % 4 == 0:
                hits.append(Note(t, t + 0.1, 36, 100))
            if step % 4 == 2:
                hits.append(Note(t, t + 0.1, 38, 100))
        song = Song(parts=(Part("drums", tuple(hits), is_drum=True),), bpm=100.0, meter=Meter(4, 4))
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        write_midi(song, folder / name)
        rows.append(f"drummer1,drummer1/s1,{i},rock,100,beat,4-4,{name},{split}")
    (folder / "info.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def tiny_corpus(root: Path, songs: tuple[int, int, int] = (6, 2, 2)) -> Path:
    """A rendered and indexed corpus of 6-second songs under ``root / 'corpus'``."""
    cfg = CorpusConfig(
        nottingham=write_nottingham(root / "nottingham"),
        groove=write_groove(root / "groove"),
        out=root / "corpus",
        songs=songs,
        seconds=6.0,
    )
    render_corpus(cfg)
    write_indices(cfg.out, CORPUS_STEMS)
    return cfg.out


def write_billboard(folder: Path, n: int = 30) -> Path:
    """``n`` Billboard-style charts of D minor and E minor bars (16 bars each; titles differ)."""
    for i in range(n):
        bars = "| " + " | ".join(("D:min", "E:min", "D:min E:min", "E:min .")) + " |"
        lines = [
            f"# title: Song {i}",
            f"# artist: Band {i}",
            "# metre: 4/4",
            "# tonic: D",
            "",
            "0.0\tsilence",
            f"0.5\tA, verse, {bars}",
            *(f"{4.0 * k}\t{bars}" for k in range(1, 4)),
            "60.0\tend",
        ]
        path = folder / "salami_chords" / f"{i:04d}" / "salami_chords.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def write_chorales(folder: Path, n: int = 30) -> Path:
    """``n`` When-in-Rome-style analyses in B-flat major (I, IV, V; 16 bars of 4/4); the
    odd ones with a ``remote.json`` naming their music21 score (``bach/bwv<i>.mxl``)."""
    for i in range(n):
        bars = [f"m{b + 1} {'Bb: ' if b == 0 else ''}I b2 IV b3 V b4 I" for b in range(16)]
        text = "\n".join(
            ["Composer: J. S. Bach", f"Title: Chorale {i}", "Time Signature: 4/4", "", *bars]
        )
        path = folder / "Chorales" / f"{i:03d}" / "analysis.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        if i % 2:
            remote = path.parent / "remote.json"
            remote.write_text(f'{{"remote_score_music21": "bach/bwv{i}.mxl"}}\n', encoding="utf-8")
    return folder


def write_openewld(folder: Path, n: int = 24) -> Path:
    """``n`` lead sheets of 16 bars of quarter notes on A4..E5 with chord symbols."""
    from music21 import harmony, meter, note, stream

    for i in range(n):
        part = stream.Part()
        for b in range(16):
            measure = stream.Measure(number=b + 1)
            if b == 0:
                measure.append(meter.TimeSignature("4/4"))
            measure.append(harmony.ChordSymbol("Am"))
            for k in range(4):
                measure.append(note.Note(69 + (0, 2, 3, 7)[(b + k + i) % 4], quarterLength=1.0))
            part.append(measure)
        score = stream.Score([part])
        folder.mkdir(parents=True, exist_ok=True)
        score.write("mxl", fp=str(folder / f"Sheet_{i:02d}.mxl"))
    return folder
