"""The names every docstring example may use without importing them.

`python -m pytest --doctest-modules kerasreg` runs the `>>>` examples; like
Keras' own, they assume `import keras`, `import kerasreg` and
`import numpy as np`.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerasreg  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update(keras=keras, kerasreg=kerasreg, np=np)
