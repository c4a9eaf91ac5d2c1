"""A chief and two workers on 127.0.0.1 run the study as one process would.

Each process runs the same script with its own `KERASTUNER_TUNER_ID` and its
own folder, as on three machines: the chief serves the oracle over gRPC and
collects the result, the workers run the trials and return None.
"""

import os
import time

from tests.distribute._cluster import _wait_all, free_ports
from tests.experiments import _processes, _study_child

_TIMEOUT = 300
_TUNERS = ("chief", "worker0", "worker1")


def test_a_chief_and_two_workers_give_the_single_process_result(tmp_path, reference):
    (port,) = free_ports(1)
    processes, logs, results = [], [], {}
    try:
        for tuner_id in _TUNERS:
            env = {
                "KERASTUNER_TUNER_ID": tuner_id,
                "KERASTUNER_ORACLE_IP": "127.0.0.1",
                "KERASTUNER_ORACLE_PORT": str(port),
                "BARRIER": f"{tmp_path / 'barrier'}:{len(_TUNERS)}",
            }
            process, result, stderr = _processes.start(
                str(tmp_path), tuner_id, str(tmp_path / tuner_id), env
            )
            processes.append(process)
            logs.append((None, stderr))
            results[tuner_id] = result
        _wait_all(processes, logs, time.monotonic() + _TIMEOUT, _TIMEOUT)
    finally:
        for process in processes:
            _processes.finish(process, 0)

    # The chief's oracle recorded every planned trial, each completed once.
    chief = str(tmp_path / "chief")
    counts = _processes.completed_keys(chief)
    assert sorted(counts.values()) == [1] * _study_child.TRIALS
    ran = {t: _processes.ran_by(str(tmp_path / t), t) for t in _TUNERS}
    assert ran["chief"] == []
    assert ran["worker0"] and ran["worker1"]
    assert sorted(ran["worker0"] + ran["worker1"]) == sorted(
        _processes.trial_records(chief)
    )
    assert _processes.read_json(results["worker0"]) is None
    assert _processes.read_json(results["worker1"]) is None
    assert _processes.read_json(results["chief"]) == reference[1]
    assert os.path.exists(os.path.join(chief, "report", "report.md"))
