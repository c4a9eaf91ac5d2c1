"""The command line: `kerasreg demo|study` and `python -m kerasreg demo|study`.

The library knows nothing of it: `kerasreg/__main__.py` and the `kerasreg`
console script (setup.cfg's `entry_points`) both call `main`.
"""

import argparse
import logging
import math
import os
import shlex
import sys

import keras

import kerasreg
from kerasreg.demo.main import DEFAULT_EPOCHS, DEFAULT_OUT, DEFAULT_SEEDS, run_demo
from kerasreg.experiments import StudyError
from kerasreg.experiments.arguments import DEFAULT_LEARNING_RATES
from kerasreg.experiments.techniques import DEFAULT_TECHNIQUES, TECHNIQUES, technique
from kerasreg.experiments.workers import AUTO

PROG = "kerasreg"
# The library's messages name its Python arguments; the command line's user
# types options. Every message that reaches the terminal passes through this
# one mapping (with and without the code marks the terminal drops).
_CLI_WORDS = (
    ("overwrite=True", "--overwrite"),
    ("seeds=3", "--seeds 3"),
    ("`overwrite`", "--overwrite"),
    ("`out`", "--out"),
    ("`data`", "--data"),
    ("`image_size`", "--image-size"),
    ("`techniques`", "--techniques"),
    ("`epochs`", "--epochs"),
    ("`seeds`", "--seeds"),
    ("`halving`", "--halving"),
    ("`tensorboard`", "--tensorboard"),
    ("run the study again to resume", "run the same command again to resume"),
    ("`budget`", "--budget"),
    ("budget=", "--budget "),
    ("`learning_rates=`", "--learning-rates"),
    ("learning_rates=", "--learning-rates"),
    ("`grids=`", "--grids"),
    ("grids=", "--grids"),
)
# The library's one message form for bad input (`kerasreg._validation`).
_BAD_INPUT = "Invalid value for argument "
# Techniques whose strength a grid sets (batch normalization has none).
_TUNED = tuple(name for name, t in TECHNIQUES.items() if t.check is not None)


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


def _workers(text):
    if text == AUTO:
        return AUTO
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive int or {AUTO!r}, got {text!r}"
        ) from None


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _learning_rates(text):
    try:
        return tuple(_positive_float(rate) for rate in text.split(","))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers > 0, got {text!r}"
        ) from None


def _grid(text):
    """`NAME=v1,v2` as `(NAME, (v1, v2))`, checked by the technique's own
    check; integers stay ints (a patience is a number of epochs)."""
    name, equals, values = text.partition("=")
    if not equals or name not in _TUNED:
        raise argparse.ArgumentTypeError(
            f"expected NAME=v1,v2,... with NAME among {', '.join(_TUNED)}, got {text!r}"
        )
    try:
        grid = tuple(_number(value) for value in values.split(","))
        technique(name, grid)
    except (ValueError, TypeError) as error:
        # The library's message: "... Expected <what>. Received: ...".
        expected = str(error).partition(". Expected ")[2].rpartition(". Received: ")[0]
        raise argparse.ArgumentTypeError(
            f"expected {name}=v1,v2,... with each value {expected or 'a number'}, "
            f"got {text!r}"
        ) from None
    return name, grid


def _number(text):
    try:
        return int(text)
    except ValueError:
        return float(text)


def _image_size(text):
    size = _positive_int(text)
    return (size, size)


def in_cli_words(text):
    """`text` with the library's argument names as the command line's options.

    Example:

    >>> in_cli_words("Use another `out`, or overwrite=True to start afresh.")
    'Use another --out, or --overwrite to start afresh.'
    """
    for library, option in _CLI_WORDS:
        text = text.replace(library, option)
    return text


class _InCliWords:
    """A text stream that writes `in_cli_words` of what it is given."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        return self.stream.write(in_cli_words(text))

    def flush(self):
        self.stream.flush()


def _out(text):
    if not text:
        raise argparse.ArgumentTypeError("expected a folder path, got ''")
    return text


def _folder(text):
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"not a folder: {text!r}")
    return text


def _techniques(text):
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in TECHNIQUES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"expected names among {', '.join(TECHNIQUES)}, got {text!r}"
        )
    return names


def _add_study_arguments(command, data_help, out_default, workers_default):
    command.add_argument(
        "--out",
        type=_out,
        default=out_default,
        help="the study's folder: trials (resumed when run again with the same "
        "arguments), each run's logs in logs/, the report in report/ "
        "(default: %(default)s)",
    )
    command.add_argument(
        "--epochs",
        type=_positive_int,
        default=DEFAULT_EPOCHS,
        help="epochs per run (default: %(default)s)",
    )
    command.add_argument(
        "--seeds",
        type=_positive_int,
        default=DEFAULT_SEEDS,
        help="runs per configuration (default: %(default)s)",
    )
    command.add_argument("--data", **data_help)
    command.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        metavar="N",
        help="a folder's images are read at N x N pixels (default: their own "
        "size, which they must share)",
    )
    command.add_argument(
        "--techniques",
        type=_techniques,
        default=None,
        help="comma-separated techniques to compare (default: "
        + ",".join(DEFAULT_TECHNIQUES)
        + ")",
    )
    command.add_argument(
        "--workers",
        type=_workers,
        default=workers_default,
        metavar="N",
        help="run trials in N processes at once on this machine, each with "
        "its share of the cores; 'auto': one per core, at most 4 "
        "(default: %(default)s)",
    )
    command.add_argument(
        "--learning-rates",
        type=_learning_rates,
        default=None,
        metavar="R1,R2",
        help="comma-separated learning rates to choose from (default: "
        + ",".join(f"{rate:g}" for rate in DEFAULT_LEARNING_RATES)
        + ")",
    )
    command.add_argument(
        "--grids",
        type=_grid,
        nargs="+",
        default=None,
        metavar="NAME=V1,V2",
        help="strengths to try in place of a technique's own grid, e.g. "
        "--grids L1=1e-4,1e-3 Dropout=0.2,0.4",
    )
    command.add_argument(
        "--budget",
        type=_positive_float,
        default=None,
        metavar="MINUTES",
        help="fit the study to this many minutes on this machine: fewer path "
        "points, coarser grids, fewer epochs, then fewer seeds (at least 2); "
        "what was cut is said before the first trial and in the report",
    )
    command.add_argument(
        "--tensorboard",
        action="store_true",
        help="also log every run for TensorBoard in OUT/logs (off by default: "
        "it costs time every epoch; each run's history.csv is always written)",
    )
    command.add_argument(
        "--halving",
        action="store_true",
        help="choose the learning rate and strengths by successive halving: "
        "fewer tuning epochs, but choices made on shortened runs (off by "
        "default: on the demo it changed the choices and two verdicts)",
    )
    command.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh where --out holds a study with other arguments",
    )
    command.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar (the table is still printed)",
    )


def build_parser(prog=PROG):
    """The argument parser of the command line.

    Args:
        prog: str, the program name shown in help and errors.
            Defaults to `"kerasreg"`.

    Returns:
        An `argparse.ArgumentParser` with `--version` and the `demo` and
        `study` subcommands.

    Example:

    >>> build_parser().parse_args(["demo", "--epochs", "5"]).epochs
    5
    >>> args = build_parser().parse_args(["study", "--data", ".", "--image-size", "8"])
    >>> args.image_size
    (8, 8)
    """
    parser = _OneLineParser(prog=prog, description="kerasreg command line.")
    parser.add_argument(
        "--version",
        action="version",
        version=f"kerasreg {kerasreg.__version__} (Keras {keras.__version__})",
    )
    commands = parser.add_subparsers(dest="command", parser_class=_OneLineParser)
    demo = commands.add_parser(
        "demo",
        help="which regularization technique helps? a study with a report",
        description="kerasreg.study on scikit-learn's handwritten digits with a "
        "small network: the learning rate and each technique's strength tuned "
        "on validation data, then the baseline and each technique (L1, L2, "
        "ElasticNet, Dropout, BatchNorm, EarlyStopping, augmentation, all "
        "together) over several seeds, compared with confidence intervals; "
        "prints a table and writes a report with figures.",
    )
    _add_study_arguments(
        demo,
        {
            "default": "digits",
            "help": "digits (bundled with scikit-learn, the default), mnist or "
            "cifar10 (downloaded by keras.datasets), or a folder of images in "
            "class subfolders",
        },
        DEFAULT_OUT,
        # The demo's data is small; each worker holds a copy of a study's.
        workers_default=AUTO,
    )
    study = commands.add_parser(
        "study",
        help="the demo's study on your folder of images",
        description="The demo's study on a folder of images in class subfolders "
        "(one subfolder per class), with the demo's network.",
    )
    _add_study_arguments(
        study,
        {
            "required": True,
            "type": _folder,
            "metavar": "FOLDER",
            "help": "a folder of images in class subfolders",
        },
        "kerasreg-study",
        workers_default=1,
    )
    return parser


def _say_error(prog, command, error):
    print(f"{prog} {command}: error: {in_cli_words(str(error))}", file=sys.stderr)


def _grids(parser, prog, args):
    """`--grids` as a dict, each name once and among the techniques compared."""
    if args.grids is None:
        return None
    names = [name for name, _ in args.grids]
    compared = args.techniques or DEFAULT_TECHNIQUES
    for name in names:
        if names.count(name) > 1:
            expected, got = "each technique once", f"{name!r} twice"
        elif name not in compared:
            expected = f"techniques among those compared ({','.join(compared)})"
            got = repr(name)
        else:
            continue
        parser.exit(
            2,
            f"{prog} {args.command}: error: argument --grids: expected {expected}, "
            f"got {got} (see --help)\n",
        )
    return dict(args.grids)


def main(argv=None, prog=PROG):
    """Run the command line; return the exit status.

    Bad input (an unknown dataset, an unreadable image, an unwritable
    folder, a non-positive number) prints one line on stderr, in the command
    line's words (`--overwrite`, not `overwrite=True`), and returns 2. An
    interrupted study (Ctrl-C) keeps its finished trials and says how to
    resume: the same command again.

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
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    grids = _grids(parser, prog, args)
    # Each run builds fresh models, which TensorFlow's retracing heuristic
    # warns about; on the command line that is noise.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        run_demo(
            out=args.out,
            epochs=args.epochs,
            seeds=args.seeds,
            data=args.data,
            quiet=args.quiet,
            overwrite=args.overwrite,
            image_size=args.image_size,
            techniques=args.techniques,
            workers=args.workers,
            halving=args.halving,
            learning_rates=args.learning_rates,
            grids=grids,
            budget=args.budget,
            tensorboard=args.tensorboard,
            stream=_InCliWords(sys.stdout),
        )
    except StudyError as error:
        _say_error(prog, args.command, error)
        return 2
    except ValueError as error:
        # Bad input the library finds only once it runs (a budget too small
        # for the study) is said as one line; any other is a bug, and keeps
        # its traceback.
        if not str(error).startswith(_BAD_INPUT):
            raise
        _say_error(prog, args.command, error)
        return 2
    except KeyboardInterrupt:
        print(
            f"\n{prog} {args.command}: interrupted. The finished trials are kept in "
            f"{args.out!r}; to resume, run the same command again: "
            f"{prog} {shlex.join(argv)}",
            file=sys.stderr,
        )
        return 130
    return 0
