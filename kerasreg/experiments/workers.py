"""A study's trials in N worker processes on this machine (`workers=N`).

keras-tuner runs a study over machines as a chief, which serves the oracle
over gRPC, and workers, which ask it for trials and run them (given
`KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`).
`serve` does the same on one machine: the calling process is the chief, on
127.0.0.1 at a port the system picks, and starts N processes as its workers.
The chief plans, collects and writes the report as a distributed chief does.
It serves the oracle itself rather than through keras-tuner's `search`, which
would read the variables from its environment: the environment changes only
while each worker is started (a spawned process inherits it), and is
restored at once.

The workers are started with multiprocessing's "spawn" (a fork of a process
that holds TensorFlow's threads can deadlock), so what they need travels
pickled: the `Trainer` (the user's `build_model`, the loaded data, loss,
optimizer and augmentation), the plan and the trials' folder. Each worker
gives TensorFlow `cores // N` threads (intra- and inter-op, at least one)
before TensorFlow runs anything, so that N workers do not fight over the
cores. Workers train silently: the chief's progress bar counts their trials.

The chief watches its workers while it serves: a worker that dies ends the
study with a `StudyError` that names it and its exit code, after the other
workers are stopped; Ctrl-C stops them too. The trials that finished are
recorded in the study's folder either way, so calling the study again
resumes it, with any number of workers.
"""

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys

from kerasreg._validation import check_int, invalid
from kerasreg.experiments.errors import StudyError

# keras-tuner's environment: this process's id in a distributed study, and
# where its chief serves the oracle.
TUNER_ID = "KERASTUNER_TUNER_ID"
_ORACLE_IP, _ORACLE_PORT = "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"
_HOST = "127.0.0.1"
# `workers=AUTO`: one worker per core this process may use, at most
# `_AUTO_MOST`: each worker holds TensorFlow and the data (about 1 GiB for
# the demo), and a study's phases wait on each other's choices (the first
# has as many trials as learning rates), so more mostly wait.
AUTO = "auto"
_AUTO_MOST = 4
# Seconds a stopped worker gets to end before it is killed.
_GRACE = 10
_SENDABLE = (
    "a module-level function or a picklable callable object: workers={workers} "
    "sends it to {workers} processes; a lambda or closure cannot be sent"
)


def check_workers(workers):
    """`workers` as an int >= 1 (`AUTO`: one per core this process may
    use, at most 4), or the message-form error.

    A process that is already one of a distributed study's (its
    `KERASTUNER_TUNER_ID` is set) runs its trials itself: more workers are
    more processes with their own tuner ids, and `AUTO` is 1 there.
    """
    if workers == AUTO:
        return 1 if TUNER_ID in os.environ else min(_cores(), _AUTO_MOST)
    if isinstance(workers, str):
        raise invalid("workers", workers, f"an int >= 1 or {AUTO!r}")
    workers = check_int("workers", workers, low=1)
    if workers > 1 and TUNER_ID in os.environ:
        raise invalid(
            "workers",
            workers,
            f"1 in a process of a distributed study ({TUNER_ID}="
            f"{os.environ[TUNER_ID]!r} is set); start more workers as more "
            "processes with their own tuner ids",
        )
    return workers


def check_sendable(argument, value, workers):
    """Raise the message-form TypeError if `value` cannot reach `workers`
    processes (it cannot be pickled); nothing for one worker or None."""
    if workers == 1 or value is None:
        return
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise invalid(
            argument, value, _SENDABLE.format(workers=workers), TypeError
        ) from error


def threads_per_worker(workers):
    """TensorFlow's threads for each of `workers` processes on this machine."""
    return max(1, _cores() // workers)


def _cores():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def serve(oracle, trainer, plan, project, workers, out):
    """Serve `oracle` to `workers` new processes until every trial has ended.

    Args:
        oracle: the study's `PlanOracle`, reloaded from the folder.
        trainer: the `Trainer` each worker runs its trials with.
        plan: the study's `Plan`.
        project: keras-tuner's project folder (`StudyFolder.tuner_project`).
        workers: int >= 2, how many processes run trials.
        out: the study's folder, for the message when a worker dies.

    Raises:
        StudyError: a worker ended with a non-zero exit code (or was killed).
    """
    from kerasreg.experiments import engine

    payload = pickle.dumps((trainer, plan, project))
    server, port = engine.serve_oracle(oracle, _HOST)
    processes = []
    try:
        processes = _start(payload, port, workers)
        _supervise(processes, out)
    finally:
        _stop(processes)
        server.stop(grace=None)


def _start(payload, port, workers):
    context = multiprocessing.get_context("spawn")
    threads = threads_per_worker(workers)
    # TensorFlow's Python warnings, as loud in a worker as in this process.
    level = logging.getLogger("tensorflow").level
    processes = []
    for index in range(workers):
        process = context.Process(
            target=_work,
            args=(payload, threads, level),
            name=f"worker{index}",
            daemon=True,
        )
        # A spawned process starts with this process's environment: keras-tuner
        # and TensorFlow's C++ runtime read theirs before `_work` runs.
        with _environment(
            **{
                TUNER_ID: process.name,
                _ORACLE_IP: _HOST,
                _ORACLE_PORT: str(port),
                # Each worker would repeat the start-up notes the chief printed.
                "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            }
        ):
            process.start()
        processes.append(process)
    return processes


@contextlib.contextmanager
def _environment(**values):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def _supervise(processes, out):
    """Return once every worker ended well; raise when one did not."""
    running = list(processes)
    while running:
        multiprocessing.connection.wait([p.sentinel for p in running])
        for process in [p for p in running if p.exitcode is not None]:
            running.remove(process)
            if process.exitcode != 0:
                raise StudyError(_died(process, len(processes), out))


def _died(process, workers, out):
    code = process.exitcode
    how = f"exit code {code}"
    if code < 0:
        how += f" (killed by {signal.Signals(-code).name})"
    # A trial that raised is told on the worker's stderr: keras-tuner sends
    # no trial's error message to the chief.
    return (
        f"The study's worker process {process.name} (pid {process.pid}, one of "
        f"{workers}) ended with {how}; the other workers were stopped. The "
        f"finished trials are kept in {out!r}: run the study again to resume."
    )


def _stop(processes):
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(_GRACE)
        if process.is_alive():
            process.kill()
            process.join()


def _work(payload, threads, level):
    """A worker: ask the chief for trials and run them until it says stop."""
    # Ctrl-C reaches every process of the terminal: the chief stops its
    # workers itself, without a traceback from each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The chief's progress bar says how the trials go; a worker's own output
    # (keras-tuner's notes) would break it. Errors still go to stderr.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the process's life)
    logging.getLogger("tensorflow").setLevel(level)
    _limit_threads(threads)
    trainer, plan, project = pickle.loads(payload)
    from kerasreg.experiments import engine

    tuner = engine.StudyTuner(
        engine.PlanOracle(plan), trainer, plan, overwrite=False, **project
    )
    tuner.search()


def _limit_threads(threads):
    # Before TensorFlow runs anything in this process: it reads them once.
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
