"""Emotion: mood words to a valence/arousal target (:mod:`scoring.emotion.mood`) and the 128
audio features per window the emotion model reads (:mod:`scoring.emotion.features`; the model
is trained and exported in :mod:`training.emotion`). Valence and arousal are both in -1..1."""
