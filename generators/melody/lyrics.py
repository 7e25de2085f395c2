"""Lyrics: lines, a simple syllabifier (one syllable per vowel group, with silent final e and
-ed/-es endings), the syllable count each phrase should carry, and the fitting of syllables to
notes (one syllable per note; a melisma only when a phrase has more notes than syllables)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Final

_VOWELS: Final = frozenset("aeiouy")
_DIGRAPHS: Final = ("th", "sh", "ch", "ph", "wh", "gh", "ck", "qu")
_LABEL: Final = re.compile(r"^\s*(\[.*\]|\(.*\)|[A-Za-z ]+\d*\s*:)\s*$")
_WORD: Final = re.compile(r"[A-Za-z\u00C0-\u024F']+")
#: The text a melisma note carries: it continues the syllable before.
MELISMA: Final = "_"


def lyric_lines(text: str | None) -> tuple[str, ...]:
    """The sung lines of a lyric text: blank lines and section labels (``[Chorus]``,
    ``Verse 2:``) dropped, spaces collapsed."""
    if not text:
        return ()
    out = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if line and not _LABEL.match(line) and _WORD.search(line):
            out.append(line)
    return tuple(out)


def _vowel_groups(word: str) -> list[tuple[int, int]]:
    lower = word.lower()
    groups: list[tuple[int, int]] = []
    i = 0
    while i < len(lower):
        is_vowel = lower[i] in _VOWELS and not (lower[i] == "y" and i == 0)
        if is_vowel:
            j = i
            while j < len(lower) and lower[j] in _VOWELS:
                j += 1
            groups.append((i, j))
            i = j
        else:
            i += 1
    return groups


def _silent_ending(lower: str, groups: list[tuple[int, int]]) -> bool:
    """True when the last vowel group is a silent final e, -es or -ed."""
    if len(groups) < 2:
        return False
    start, end = groups[-1]
    if lower[start:end] != "e":
        return False
    tail = lower[start:]
    before = lower[:start]
    if tail == "e":
        # "little", "table": a consonant + le is sung.
        return not (before.endswith("l") and len(before) >= 2 and before[-2] not in _VOWELS)
    if tail == "ed":
        return not before.endswith(("t", "d"))
    if tail == "es":
        return not before.endswith(("s", "x", "z", "ch", "sh", "c", "g"))
    return False


def syllabify(word: str) -> tuple[str, ...]:
    """Split ``word`` into sung syllables that join back into the word: ``"window"`` ->
    ``("win", "dow")``, ``"little"`` -> ``("lit", "tle")``, ``"time"`` -> ``("time",)``.
    One syllable per vowel group; a single consonant between groups starts the next
    syllable, two or more split after the first (keeping th/sh/ch/... together)."""
    lower = word.lower()
    groups = _vowel_groups(word)
    if _silent_ending(lower, groups):
        groups = groups[:-1]
    if len(groups) <= 1:
        return (word,)
    cuts = []
    consonant_le = lower.endswith("le") and len(lower) > 2 and lower[-3] not in _VOWELS
    for k, ((_, end), (start, _)) in enumerate(itertools.pairwise(groups)):
        cons = lower[end:start]
        if consonant_le and k == len(groups) - 2 and len(cons) >= 2:
            cuts.append(start - 2)  # "ta-ble", "lit-tle": the consonant before -le goes with it
        elif len(cons) <= 1 or (cons[:2] in _DIGRAPHS and len(cons) == 2):
            cuts.append(end)
        else:
            cuts.append(end + 1)
    pieces = []
    prev = 0
    for c in cuts:
        pieces.append(word[prev:c])
        prev = c
    pieces.append(word[prev:])
    return tuple(p for p in pieces if p)


def line_syllables(line: str) -> tuple[str, ...]:
    """The syllables of a line as sung text: a syllable that continues its word ends in
    ``-`` (``"win-"``, ``"dow"``), the usual lyric-event spelling."""
    out: list[str] = []
    for word in _WORD.findall(line):
        parts = syllabify(word)
        out.extend(p + "-" for p in parts[:-1])
        out.append(parts[-1])
    return tuple(out)


def phrase_syllables(lines: Sequence[str], phrases: int) -> tuple[tuple[str, ...], ...]:
    """Syllables per phrase: with as many or fewer lines than phrases, one line per phrase
    (the lines repeat, as a lyric returns); with more, consecutive lines share a phrase, the
    earlier phrases taking one more when they do not divide evenly."""
    if phrases < 1:
        raise ValueError(f"phrases: {phrases!r} -- at least 1")
    if not lines:
        return tuple(() for _ in range(phrases))
    if len(lines) <= phrases:
        return tuple(line_syllables(lines[p % len(lines)]) for p in range(phrases))
    per, extra = divmod(len(lines), phrases)
    out = []
    i = 0
    for p in range(phrases):
        take = per + (1 if p < extra else 0)
        out.append(tuple(s for line in lines[i : i + take] for s in line_syllables(line)))
        i += take
    return tuple(out)


def fit_syllables(notes: int, syllables: Sequence[str]) -> tuple[str, ...]:
    """One text per note: syllables one to a note; extra notes continue the last syllable as a
    melisma (:data:`MELISMA`); when there are fewer notes than syllables, the last note
    carries the rest joined (which the operators avoid by matching note counts)."""
    if notes < 0:
        raise ValueError(f"notes: {notes!r} -- a count >= 0")
    syl = list(syllables)
    if notes == 0:
        return ()
    if not syl:
        return tuple(MELISMA for _ in range(notes))
    if len(syl) <= notes:
        return (*syl, *(MELISMA for _ in range(notes - len(syl))))
    head = syl[: notes - 1]
    joined = ""
    for s in syl[notes - 1 :]:
        joined += s[:-1] if s.endswith("-") else s + " "
    return (*head, joined.strip())
