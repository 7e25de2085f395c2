"""Style profiles from the real corpora: per-part metric rows read from Groove MIDI, OpenEWLD,
Billboard and the Bach chorales, split by song, and the percentile bands the style-fit scores
read (``scoring/data/style_<part>.json``). ``chromatic train style --data DIR`` rebuilds them."""
