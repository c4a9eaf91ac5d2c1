"""A model for the workers' tests, in a module their worker processes can
import by name (pytest imports test modules under names no other process
knows)."""

import os

from kerasreg.experiments import workers
from tests.experiments import _study_child

# A worker process exits with this code at its third model.
EXIT_CODE, FATAL_BUILD = 3, 3
_builds = []


def dying_in_a_worker(switches):
    """The tiny study's model; a worker process exits at its third model."""
    # Only a worker has a tuner id: the chief builds models before any trial.
    if os.environ.get(workers.TUNER_ID, "").startswith("worker"):
        _builds.append(switches)
        if len(_builds) == FATAL_BUILD:
            os._exit(EXIT_CODE)
    return _study_child.build_model(switches)
