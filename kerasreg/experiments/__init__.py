"""Which regularization helps this model? `study` answers, fairly tuned.

`study(build_model, data, ...)` trains the user's model without
regularization and with each technique, chooses the learning rate and every
strength on validation loss, compares over seeds with confidence intervals,
draws the regularization paths, and writes a report. One concept per module:
`switches` (where the model puts each technique), `techniques` (their
settings and grids), `plan` (which trials, phase by phase), `training` (one
trial: build, fit, measure), `engine` (the trials on keras-tuner: resumable,
distributed), `statistics` and `path` (intervals, paired comparisons, the
warm-started path), `data` and `augment` (the data and its augmentation),
`summary`, `table`, `reading`, `plots` and `report` (what the study found),
and `study` (the function that ties them together).
"""

from kerasreg.experiments.errors import StudyError
from kerasreg.experiments.study import StudyResult, study
from kerasreg.experiments.switches import Switches

__all__ = ["StudyError", "StudyResult", "Switches", "study"]
