"""Which profile a song's parts are held to: the proposal's genre and mood words name a corpus
style (:data:`STYLE_WORDS`), its meter and tempo narrow it, and where the corpus has too little
of that combination the choice falls back, step by step, to the pooled profile.

Lookup order for style ``s``, meter ``m`` and tempo band ``t`` (the first present wins):
``s|m|t``, ``s|m|any``, ``any|m|t``, ``any|m|any``, ``s|any|t``, ``s|any|any``, ``any|any|t``,
``any|any|any``. So a 6/8 song is held to 6/8 music of any style before 4/4 music of its style,
and a 7/8 song (no 7/8 in the corpora) to its style over every meter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from scoring.style.profile import (
    ANY,
    ProfileSet,
    StyleProfile,
    profile_key,
    shipped_profiles,
    tempo_band,
)

#: Corpus style -> the proposal words that name it. Groove MIDI's styles for drums; ``pop``
#: (Billboard) and ``chorale`` (the Bach chorales) for harmony and bass. A word counts when it
#: is one of a proposal's genre (twice) or mood (once) entries or a whole word inside one.
STYLE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "rock": (
        "rock", "post-rock", "indie", "alternative", "grunge", "garage", "shoegaze", "metal",
        "new wave", "post-punk", "art rock", "electro rock", "folk rock", "noise", "driving",
    ),
    "punk": ("punk", "hardcore", "aggressive", "frantic", "angry"),
    "pop": ("pop", "synth-pop", "synthpop", "dream pop", "electropop", "catchy"),
    "funk": ("funk", "disco", "groovy", "funky"),
    "soul": ("soul", "r&b", "rnb", "motown", "gospel"),
    "jazz": ("jazz", "swing", "bebop", "lounge", "cool jazz", "smoky"),
    "latin": ("latin", "bossa", "bossa nova", "samba", "salsa", "tango", "cumbia", "rumba"),
    "afrocuban": ("afro-cuban", "afrocuban", "son", "mambo"),
    "afrobeat": ("afrobeat", "highlife", "afro"),
    "hiphop": (
        "hip hop", "hip-hop", "hiphop", "rap", "trip hop", "trap", "breakbeat", "electronic",
        "downtempo", "lo-fi", "idm",
    ),
    "reggae": ("reggae", "dub", "ska", "dancehall"),
    "country": ("country", "americana", "bluegrass", "folk", "western"),
    "blues": ("blues", "shuffle", "boogie"),
    "neworleans": ("new orleans", "second line", "dixieland", "brass band"),
    "dance": ("dance", "house", "techno", "edm", "club"),
    "chorale": (
        "classical", "modern classical", "choral", "chorale", "hymn", "baroque", "sacred",
        "chamber",
    ),
}  # fmt: skip


def _matches(word: str, entry: str) -> bool:
    entry = entry.lower().strip()
    word = word.lower()
    return (
        entry == word
        or f" {word} " in f" {entry.replace('-', ' ')} "
        or entry.startswith(f"{word} ")
    )


def style_ranking(genres: Sequence[str], mood: Sequence[str]) -> list[str]:
    """Corpus styles the words name, best first (genre words count twice, mood words once;
    ties go to the order of :data:`STYLE_WORDS`). Empty when no word names a style."""
    scores = dict.fromkeys(STYLE_WORDS, 0.0)
    for weight, entries in ((2.0, genres), (1.0, mood)):
        for entry in entries:
            for style, words in STYLE_WORDS.items():
                if any(_matches(w, entry) for w in words):
                    scores[style] += weight
    order = list(STYLE_WORDS)
    ranked = sorted((s for s in order if scores[s] > 0), key=lambda s: (-scores[s], order.index(s)))
    return ranked


def lookup_order(style: str, meter: str, tempo: str) -> tuple[str, ...]:
    """The profile keys tried for a style, meter and tempo band, most specific first."""
    keys = (
        (style, meter, tempo),
        (style, meter, ANY),
        (ANY, meter, tempo),
        (ANY, meter, ANY),
        (style, ANY, tempo),
        (style, ANY, ANY),
        (ANY, ANY, tempo),
        (ANY, ANY, ANY),
    )
    return tuple(dict.fromkeys(profile_key(*k) for k in keys))


@dataclass(frozen=True, slots=True)
class SongStyle:
    """What the proposal says about style: its genre and mood words, tempo and meter."""

    genres: tuple[str, ...] = ()
    mood: tuple[str, ...] = ()
    bpm: float = 100.0
    meter: str = "4/4"

    def styles_in(self, profiles: ProfileSet) -> list[str]:
        """The styles the words name that ``profiles`` has, best first."""
        return [s for s in style_ranking(self.genres, self.mood) if s in profiles.styles]

    def profile(self, profiles: ProfileSet) -> StyleProfile:
        """The profile of ``profiles`` this song is held to (see the module docstring)."""
        ranked = self.styles_in(profiles)
        return style_profile(profiles, ranked[0] if ranked else ANY, self.bpm, self.meter)


def style_profile(
    profiles: ProfileSet, style: str, bpm: float, meter: str, *, style_first: bool = False
) -> StyleProfile:
    """The profile of ``profiles`` for a corpus ``style`` (the pooled one where the corpus has
    no such style) at this tempo and meter, falling back as the module docstring says; with
    ``style_first``, the style over every meter comes before other styles in the meter (a jazz
    waltz is held to jazz, not to the few 3/4 beats of other styles)."""
    chosen = style if style in profiles.styles else ANY
    order = lookup_order(chosen, meter, tempo_band(bpm))
    if style_first:
        order = tuple(sorted(order, key=lambda k: not k.startswith(f"{chosen}|")))
    for key in order:
        found = profiles.get(key)
        if found is not None:
            return found
    raise AssertionError("a ProfileSet always holds the pooled profile")  # pragma: no cover


#: Parts whose corpus speaks for one style only: a song of another style gets no profile (the
#: Bach chorales' bass lines say nothing about a rock bass).
STYLE_ONLY: Final = frozenset({"bass"})


def song_profile(
    part: str, *, genres: Sequence[str], mood: Sequence[str], bpm: float, meter: str
) -> StyleProfile | None:
    """The shipped profile of ``part`` a song with these words, tempo and meter is held to;
    None for a part of :data:`STYLE_ONLY` when the words name none of its styles."""
    song = SongStyle(genres=tuple(genres), mood=tuple(mood), bpm=bpm, meter=meter)
    profiles = shipped_profiles(part)
    if part in STYLE_ONLY and not song.styles_in(profiles):
        return None
    return song.profile(profiles)
