"""Chord-transition statistics from real corpora (Bach chorales, McGill Billboard).

``python -m training.chords.build_transitions --bach DIR --billboard DIR --out PATH`` writes the
JSON artifact that :class:`generators.chord_model.ChordTransitionModel` reads at run time.
"""
