"""Per-part metrics of the literature, defined once: the style-fit scores read them for every
candidate, and the training and evaluation commands read them on the real corpora.

Each module takes plain arrays (times in quarter notes, MIDI pitches, GM drum notes) and returns
``{metric: value}`` in its ``*_METRICS`` order, NaN where a metric is undefined (an interval of a
one-note line). Nothing here knows a generator, a corpus file or a score.
"""
