"""Shared pieces of the demo tests: the command line in a fresh process."""

import os
import re
import subprocess
import sys

# TensorFlow's C++ runtime logs to stderr at import whatever TF_CPP_MIN_LOG_LEVEL
# says (e.g. "I0000 00:00:... cudart_stub.cc:31] Could not find cuda drivers");
# those lines are TensorFlow's, not the command's.
_NATIVE_LOG = re.compile(
    r"^(WARNING: All log messages before absl|[IWEF]\d{4} \d\d:\d\d:\d\d"
    r"|To enable the following instructions)"
)


def run_cli(*args, cwd=None):
    """Run `python -m kerasreg *args`; return (exit status, stdout, stderr lines)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "kerasreg", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    lines = [line for line in result.stderr.splitlines() if not _NATIVE_LOG.match(line)]
    return result.returncode, result.stdout, lines
