"""The chords part: genome, workhorse seeds, operators, voicing and MIDI."""
