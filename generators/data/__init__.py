"""Data files shipped with the generators (read through ``importlib.resources``).

``chord_transitions.json``: chord-transition counts built by
``python -m training.chords.build_transitions`` from the When in Rome Bach chorale analyses
(CC BY-SA 4.0) and the McGill Billboard chord transcriptions (CC0).
"""
