"""The fitness of each part: a genome made music by its ``generators`` module, scored by the
part's theory scores (``scoring``) and the song's ChromaticScorer, as one composite per
candidate. The GA engine beside this package knows none of it: it only calls an evaluator."""
