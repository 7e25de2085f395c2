"""The drum-hit classifier of the kit build: one-shots from General MIDI SoundFonts
(dataset.py), extremely randomised trees exported to plain arrays (train.py)."""
