"""Start a local tf.distribute cluster of worker processes, bounded in time.

Every worker gets a TF_CONFIG naming free ports on 127.0.0.1. The launcher
watches all of them: the first worker that fails (or the deadline) ends the
others at once and raises `WorkerFailed` with what it printed, so a dead peer
never leaves the test waiting on a collective that will not complete.
"""

import json
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class WorkerFailed(RuntimeError):
    """A worker exited with an error, or the cluster ran past its deadline."""


def free_ports(count):
    """`count` distinct free TCP ports on 127.0.0.1 (held open together)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_configs(count):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(count)]}
    return [
        json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        for i in range(count)
    ]


def _tail(path, limit=3000):
    with open(path, errors="replace") as f:
        return f.read()[-limit:]


def run_workers(command, workdir, count=2, timeout=240, env=None):
    """Run `command` (an argv list) once per worker; return their stdouts.

    Raises:
        WorkerFailed: a worker exited with a nonzero code, or `timeout`
            seconds passed; every worker still running is killed first.
    """
    base_env = dict(
        os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT, **(env or {})
    )
    processes, logs = [], []
    try:
        for index, tf_config in enumerate(tf_configs(count)):
            out = os.path.join(workdir, f"worker{index}.out")
            err = os.path.join(workdir, f"worker{index}.err")
            logs.append((out, err))
            with open(out, "w") as stdout, open(err, "w") as stderr:
                processes.append(
                    subprocess.Popen(
                        [*command, str(index)],
                        stdout=stdout,
                        stderr=stderr,
                        env=dict(base_env, TF_CONFIG=tf_config),
                    )
                )
        _wait_all(processes, logs, time.monotonic() + timeout, timeout)
        return [_tail(out, limit=100_000) for out, _ in logs]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()


def _wait_all(processes, logs, deadline, timeout):
    while True:
        codes = [process.poll() for process in processes]
        for index, code in enumerate(codes):
            if code not in (None, 0):
                raise WorkerFailed(
                    f"worker {index} exited with code {code}; the others were "
                    f"stopped. Its stderr ends with:\n{_tail(logs[index][1])}"
                )
        if all(code == 0 for code in codes):
            return
        if time.monotonic() > deadline:
            raise WorkerFailed(
                f"the cluster ran past its {timeout} s limit; workers "
                f"{[i for i, c in enumerate(codes) if c is None]} were still "
                f"running and were killed. Worker 0's stderr ends with:\n"
                f"{_tail(logs[0][1])}"
            )
        time.sleep(0.2)


def python(script, *args):
    """The argv to run `script` (beside this file) with this interpreter."""
    return [sys.executable, os.path.join(os.path.dirname(__file__), script), *args]
