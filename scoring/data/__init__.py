"""Shipped scorer artifacts: ``chromatic_scorer.onnx`` (the graph), ``.json`` (its sidecar) and
``.npz`` (its torch weights, the starting point of catalogue training)."""
