"""The names every docstring example may use without importing them.

`python -m pytest --doctest-modules kerasreg` runs the `>>>` examples; like
Keras' own, they assume `import keras`, `import kerasreg` and
`import numpy as np`. The study's report modules read a `result`: a small
hand-built `StudyResult`.
"""

import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerasreg  # noqa: E402


@functools.cache
def _study_result():
    # Hand-built, without training: the report's examples read it.
    from tests.experiments._results import example_result

    return example_result()


@pytest.fixture(autouse=True)
def _doctest_names(request, doctest_namespace):
    doctest_namespace.update(keras=keras, kerasreg=kerasreg, np=np)
    if isinstance(request.node, pytest.DoctestItem):
        # `result`: a study's `StudyResult`, for the examples of what reads one.
        doctest_namespace["result"] = _study_result()
