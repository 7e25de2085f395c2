"""McGill Billboard songs (CC0) as harmony metric rows, one per song: every chord line is a
phrase; chords are read relative to the tonic in force (a song that modulates keeps its
functions), in the mode :func:`training.chords.billboard.infer_minor` gives the song's main
tonic. Repeated songs (same title and artist) are read once; the split is by a hash of title
and artist."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from music.keys import MODE_INTERVALS
from scoring.metrics.chords import HarmonyEvent, chord_metrics
from training.billboard import (
    NO_CHORD,
    ChordLine,
    find_songs,
    metre_of,
    parse_harte,
    read_salami,
    read_text,
    tonic_of,
)
from training.chords.billboard import infer_minor, read_slots, triad_of
from training.style.rows import MetricRow, split_of

logger = logging.getLogger(__name__)


def _line_events(
    line: ChordLine, *, t: float, tonic: int, bar_qn: float
) -> tuple[list[HarmonyEvent], float]:
    """The line's chords (roots above ``tonic``) from time ``t`` and the time after it. A
    ``.`` lengthens the chord before; a no-chord mark is a gap."""
    events: list[HarmonyEvent] = []
    for bar in line.bars:
        if not bar.symbols:
            continue
        beats = bar.length_qn(bar_qn)
        share = beats / len(bar.symbols)
        for sym in bar.symbols:
            if sym == "." and events and abs(events[-1].end - t) < 1e-9:
                last = events[-1]
                events[-1] = HarmonyEvent(last.start, t + share, last.root, last.triad)
            elif sym not in NO_CHORD and sym != ".":
                chord = parse_harte(sym)
                triad = triad_of(chord)
                events.append(HarmonyEvent(t, t + share, (chord.root - tonic) % 12, triad))
            t += share
    return events, t


def song_row(path: Path) -> tuple[tuple[str, str] | None, MetricRow | None]:
    """The song's dedupe key (title, artist) and its row (None for a song without chords)."""
    text = read_text(path)
    song_id = path.parent.name
    header, slots = read_slots(text, where=song_id)
    weight: dict[int, float] = {}
    for s in slots:
        if s.tonic is not None and s.chord is not None:
            weight[s.tonic] = weight.get(s.tonic, 0.0) + s.beats
    if not weight:
        return header.dedupe_key, None
    main = max(sorted(weight), key=lambda t: weight[t])
    minor = infer_minor(slots, main)
    tonic, bar_qn, meter = main, 4.0, None
    t = 0.0
    events: list[HarmonyEvent] = []
    starts: list[float] = []
    for event in read_salami(text, song_id=song_id):
        if not isinstance(event, ChordLine):
            if event.name == "metre":
                num, den = metre_of(event.value, where=event.where)
                bar_qn = num * 4.0 / den
                meter = meter or f"{num}/{den}"
            elif event.name == "tonic":
                tonic = tonic_of(event)
            continue
        for _ in range(event.repeat):
            line, t_after = _line_events(event, t=t, tonic=tonic, bar_qn=bar_qn)
            if line:
                starts.append(t)
                events.extend(line)
            t = t_after
    if not events:
        return header.dedupe_key, None
    values = chord_metrics(
        events,
        tonic=0,
        minor=minor,
        scale=MODE_INTERVALS["minor" if minor else "major"],
        bar_qn=4.0 if meter is None else float(meter_qn(meter)),
        phrase_starts=starts,
    )
    key = header.dedupe_key or (song_id, "")
    row = MetricRow(
        part="chords",
        corpus="billboard",
        song=song_id,
        split=split_of("billboard/" + "/".join(key)),
        style="pop",
        meter=meter or "4/4",
        bpm=None,
        values=values,
    )
    return header.dedupe_key, row


def meter_qn(meter: str) -> float:
    num, den = meter.split("/")
    return int(num) * 4.0 / int(den)


def billboard_rows(folder: Path, *, tick: Callable[[], None] | None = None) -> list[MetricRow]:
    """One row per distinct song of the ``salami_chords.txt`` files under ``folder``."""
    seen: set[tuple[str, str]] = set()
    out = []
    for path in find_songs(folder):
        try:
            key, row = song_row(path)
        except ValueError as exc:
            logger.warning("skipping %s: %s", path, exc)
            continue
        if tick is not None:
            tick()
        if row is None or (key is not None and key in seen):
            continue
        if key is not None:
            seen.add(key)
        out.append(row)
    logger.info("billboard: %d songs", len(out))
    return out
