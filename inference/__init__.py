"""The inference runtime: the one adapter that owns onnxruntime (:mod:`inference.onnx`).

It sits just above ``music/`` (whose errors it raises) and below the layers that run models:
``scoring/`` (the ChromaticScorer), ``generators/`` (the drum transformer) and ``render/`` (the
RenderPlan model). ``music/`` never imports it."""
