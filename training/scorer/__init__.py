"""The ChromaticScorer: its real-music training corpus (corpus, sources_*, text), model,
training, export and evaluation."""
