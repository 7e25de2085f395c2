"""One module per phase: generate, score, evolve, write candidates and review.yml."""
