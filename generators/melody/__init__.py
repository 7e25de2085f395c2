"""The melody part: genome, phrases, lyrics, ranges, operators and realisation."""
