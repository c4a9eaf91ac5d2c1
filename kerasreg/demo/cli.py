"""The command line: `kerasreg demo|study` and `python -m kerasreg demo|study`.

The library knows nothing of it: `kerasreg/__main__.py` and the `kerasreg`
console script (setup.cfg's `entry_points`) both call `main`.
"""

import argparse
import logging
import os
import shlex
import sys

import keras

import kerasreg
from kerasreg.demo.main import DEFAULT_EPOCHS, DEFAULT_OUT, DEFAULT_SEEDS, run_demo
from kerasreg.experiments import StudyError
from kerasreg.experiments.techniques import DEFAULT_TECHNIQUES, TECHNIQUES

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
    ("run the study again to resume", "run the same command again to resume"),
)


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


def _add_study_arguments(command, data_help, out_default):
    command.add_argument(
        "--out",
        type=_out,
        default=out_default,
        help="the study's folder: trials (resumed when run again with the same "
        "arguments), TensorBoard logs in logs/, the report in report/ "
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
        type=_positive_int,
        default=1,
        metavar="N",
        help="run trials in N processes at once on this machine, each with "
        "its share of the cores (default: %(default)s)",
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
    )
    return parser


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
            stream=_InCliWords(sys.stdout),
        )
    except StudyError as error:
        print(
            f"{prog} {args.command}: error: {in_cli_words(str(error))}", file=sys.stderr
        )
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
