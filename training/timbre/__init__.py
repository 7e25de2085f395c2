"""The DDSP timbre of the melody stem (seed 002's third model): per-frame f0 and loudness ->
a small decoder (:mod:`.model`) -> harmonic amplitudes and filtered-noise magnitudes, heard
through a harmonic-plus-noise synthesizer (:mod:`.synth`, the torch twin of
:mod:`render.ddsp`). :mod:`.features` measures a recording, :mod:`.train` fits the decoder with
a multi-scale spectral loss, :mod:`.export` writes the ONNX decoder and its sidecar, and
:mod:`.evaluate` compares it on the held-out end of the recording."""
