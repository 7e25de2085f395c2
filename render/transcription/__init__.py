"""Audio to MIDI per stem: the stem taxonomy and model routing (:mod:`.taxonomy`), the audio
features the models read (:mod:`.features`), posteriors to notes (:mod:`.decode`) and the
onnxruntime transcriber (:mod:`.transcriber`). The models are trained in
:mod:`training.transcribe`."""
