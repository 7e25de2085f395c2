"""Per-stem audio-to-MIDI models: a Slakh-like corpus rendered from real MIDI
(:mod:`.corpus`), its per-stem index (:mod:`.indexer`), the Onsets-and-Frames style model
(:mod:`.model`), training (:mod:`.train`), ONNX export (:mod:`.export`) and note F-measure
(:mod:`.evaluate`). The run-time side is :mod:`render.transcription`."""
