"""The demo: which regularization technique helps this model?

`kerasreg demo`, `python -m kerasreg demo` or `run_demo()` trains one small network on
scikit-learn's handwritten digits without regularization and with each of
kerasreg's techniques, over several seeds, and writes a report. One concept
per module: `data` (datasets and splits), `augment` (the augmentation for a
dataset), `techniques` and `network` (what is trained), `study` (training
runs), `summary` and `table` (the numbers), `reading` (the text drawn from
them), `plots` and `report` (the report folder), `progress` (the terminal),
`cli` (the command line; the library itself never imports the demo).
"""

from kerasreg.demo.errors import DemoError
from kerasreg.demo.main import DEFAULT_EPOCHS, DEFAULT_OUT, DEFAULT_SEEDS, run_demo

__all__ = ["DEFAULT_EPOCHS", "DEFAULT_OUT", "DEFAULT_SEEDS", "DemoError", "run_demo"]
