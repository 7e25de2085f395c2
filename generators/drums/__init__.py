"""The drums part: a meter-aware grid, voices and roles (seed 001), the genome, style skeletons,
operators, editor operations, fills, MIDI, and the ONNX drum-transformer sampler."""
