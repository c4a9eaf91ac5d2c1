"""The demo: which regularization technique helps this small network?

`kerasreg demo`, `python -m kerasreg demo` or `run_demo()` runs
`kerasreg.study` on scikit-learn's handwritten digits with the demo's
network (`network`); `kerasreg study --data FOLDER` runs it on a folder of
images. `cli` is the command line; the library itself never imports the demo.
"""

from kerasreg.demo.main import DEFAULT_EPOCHS, DEFAULT_OUT, DEFAULT_SEEDS, run_demo

__all__ = ["DEFAULT_EPOCHS", "DEFAULT_OUT", "DEFAULT_SEEDS", "run_demo"]
