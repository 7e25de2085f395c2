"""Shipped scorer artifacts: ``chromatic_scorer.onnx`` (the graph), ``.json`` (its sidecar) and
``.npz`` (its torch weights, the starting point of catalogue training); the style profiles
``style_<part>.json``; the realism critics ``realism_<part>.onnx`` with their ``.json``
sidecars."""
