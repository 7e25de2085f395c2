"""Data files shipped with the renderer.

``timbre_trumpet.onnx`` (+ ``.json`` sidecar): the DDSP timbre of the melody stem
(:mod:`render.ddsp`), trained by ``chromatic train timbre`` on Mihai Sorohan's "solo trumpet
06" (freesound 77711, CC BY 3.0, from librosa's example audio).
"""
