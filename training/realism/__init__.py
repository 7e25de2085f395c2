"""The realism critic's training: real passages from the style fit's corpus rows, generated ones
from the project's own generators, a logistic regression per part exported to ONNX
(``scoring/data/realism_<part>.onnx``). ``chromatic train realism --data DIR`` rebuilds them."""
