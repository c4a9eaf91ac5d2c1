"""The tiny study's uninterrupted run, shared by the resume and distributed
tests: both compare their result with it."""

import pytest

from tests.experiments import _study_child


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """(folder, digest) of the tiny study run in this process, start to end."""
    out = str(tmp_path_factory.mktemp("reference") / "study")
    return out, _study_child.digest(_study_child.tiny_study(out))
