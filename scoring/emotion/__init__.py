"""Emotion: mood words to a valence/arousal target (:mod:`scoring.emotion.mood`), the 128
audio features per window (:mod:`scoring.emotion.features`) and the shipped emotion model run
on onnxruntime (:mod:`scoring.emotion.estimator`). Valence and arousal are both in -1..1."""
