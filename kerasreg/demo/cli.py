"""The demo's command line: `kerasreg demo` and `python -m kerasreg demo`.

The library knows nothing of it: `kerasreg/__main__.py` and the `kerasreg`
console script (setup.cfg's `entry_points`) both call `main`.
"""

import argparse
import logging
import sys

import keras

import kerasreg
from kerasreg.demo.errors import DemoError
from kerasreg.demo.main import DEFAULT_EPOCHS, DEFAULT_OUT, DEFAULT_SEEDS, run_demo

PROG = "kerasreg"


class _OneLineParser(argparse.ArgumentParser):
    """Reports bad input as one line on stderr (no usage block) and exits 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {text!r}")
    return value


def build_parser(prog=PROG):
    """The argument parser of the command line.

    Args:
        prog: str, the program name shown in help and errors.
            Defaults to `"kerasreg"`.

    Returns:
        An `argparse.ArgumentParser` with `--version` and the `demo`
        subcommand.

    Example:

    >>> build_parser().parse_args(["demo", "--epochs", "5"]).epochs
    5
    """
    parser = _OneLineParser(prog=prog, description="kerasreg command line.")
    parser.add_argument(
        "--version",
        action="version",
        version=f"kerasreg {kerasreg.__version__} (Keras {keras.__version__})",
    )
    commands = parser.add_subparsers(dest="command", parser_class=_OneLineParser)
    study = commands.add_parser(
        "demo",
        help="which regularization technique helps? a study with a report",
        description="Train one small network without regularization and with "
        "each kerasreg technique (L1, L2, ElasticNet, Dropout, BatchNorm, "
        "EarlyStopping, augmentation, all together) over several seeds; print "
        "a table and write a report with figures.",
    )
    study.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help="report folder, replaced as a whole when the report is complete "
        "(default: %(default)s)",
    )
    study.add_argument(
        "--epochs",
        type=_positive_int,
        default=DEFAULT_EPOCHS,
        help="epochs per run (default: %(default)s)",
    )
    study.add_argument(
        "--seeds",
        type=_positive_int,
        default=DEFAULT_SEEDS,
        help="runs per technique (default: %(default)s)",
    )
    study.add_argument(
        "--data",
        default="digits",
        help="digits (bundled with scikit-learn, the default), mnist or cifar10 "
        "(downloaded by keras.datasets), or a folder of images in class "
        "subfolders",
    )
    study.add_argument(
        "--quiet",
        action="store_true",
        help="no progress lines (the table is still printed)",
    )
    return parser


def main(argv=None, prog=PROG):
    """Run the command line; return the exit status.

    Bad input (an unknown dataset, an unreadable image, an unwritable
    folder, a non-positive number) prints one line on stderr and returns 2.

    Args:
        argv: list of str, the arguments. Defaults to `sys.argv[1:]`.
        prog: str, the program name shown in help and errors.
            Defaults to `"kerasreg"`.

    Returns:
        int, 0 on success, 2 on bad input, 130 when interrupted.

    Example:

    >>> main(["demo", "--epochs", "2", "--seeds", "1", "--quiet"])  # doctest: +SKIP
    0
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    # Each technique builds fresh models, which TensorFlow's retracing
    # heuristic warns about; on the command line that is noise.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        run_demo(
            out=args.out,
            epochs=args.epochs,
            seeds=args.seeds,
            data=args.data,
            quiet=args.quiet,
        )
    except DemoError as error:
        print(f"{prog} demo: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog} demo: interrupted", file=sys.stderr)
        return 130
    return 0
