"""The bass part: genome, styles, operators and realisation against the approved chords."""
