"""Style fit: how typical a candidate's per-part metrics (:mod:`scoring.metrics`) are for the
real music of its style, against percentile bands computed from the corpora by
``chromatic train style`` and shipped in ``scoring/data/style_<part>.json``."""
