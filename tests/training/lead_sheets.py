"""A lead sheet written with music21 for the corpus readers' tests: 16 bars of 3/4, C and G
chord symbols in turn, a quarter-note melody (the A over G is no chord tone)."""

from __future__ import annotations

from pathlib import Path


def write_lead_sheet(path: Path) -> Path:
    """Write the lead sheet as ``.mxl`` to ``path`` (folders made as needed)."""
    from music21 import harmony, meter, note, stream

    part = stream.Part()
    for b in range(16):
        measure = stream.Measure(number=b + 1)
        if b == 0:
            measure.append(meter.TimeSignature("3/4"))
        measure.insert(0, harmony.ChordSymbol("G" if b % 2 else "C"))
        for p in ("C4", "E4", "G4") if b % 2 == 0 else ("B3", "D4", "A4"):
            measure.append(note.Note(p, quarterLength=1.0))
        part.append(measure)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream.Score([part]).write("mxl", fp=str(path))
    return path
