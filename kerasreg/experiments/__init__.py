"""Which regularization helps this model? `study` answers, fairly tuned.

`study(build_model, data, ...)` trains the user's model without
regularization and with each technique, chooses the learning rate and every
strength on validation loss, compares over seeds with confidence intervals,
draws the regularization paths, and writes a report. One concept per module:
`switches` (where the model puts each technique), `techniques` (one registry
entry per technique, and the settings), `arguments` (the study's arguments,
checked, and its identity), `folder` (the study's folder: layout, identity
file, report staging), `plan` (which trials, phase by phase), `training` and
`tf_data` (one trial: build, fit, measure), `records` (a trial's records and
their one encoding), `engine` (the trials on keras-tuner: resumable,
distributed), `statistics` and `regularization_path` (intervals, paired
comparisons, the warm-started path), `data` and `augment` (the data and its
augmentation), `result`, `summary`, `table`, `reading`, `plots` and `report`
(what the study found), and `run_study` (the function that ties them
together).
"""

from kerasreg.experiments.errors import StudyError
from kerasreg.experiments.result import StudyResult
from kerasreg.experiments.run_study import study
from kerasreg.experiments.switches import Switches

__all__ = ["StudyError", "StudyResult", "Switches", "study"]
