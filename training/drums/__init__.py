"""The drum transformer: Groove MIDI tokenisation, dataset, model, training, ONNX export and
evaluation against the Groove validation grooves.

``python -m training.drums.train --data ../shared/data/groove-midi`` trains and exports the
model that :class:`generators.drums.transformer.DrumTransformer` samples from.
"""
