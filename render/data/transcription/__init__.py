"""The shipped per-stem transcription models (``<stem>.onnx`` + ``<stem>.json`` sidecar with
the config, thresholds and test figures), trained by ``chromatic train transcribe`` on a corpus
rendered through FluidR3 GM from the Nottingham Music Database (GPL-3.0, used as data only)
and the Groove MIDI Dataset (CC BY 4.0). See the README's "Audio to MIDI per stem"."""
