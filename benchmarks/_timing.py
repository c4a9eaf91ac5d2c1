"""Side-by-side timing shared by the benchmarks: interleaved rounds, medians.

The machine is shared and noisy, so variants are timed in alternation (one
call each per round) and compared by the median, as ratios to a baseline.
CPU time (all threads of this process) is steadier than wall time when other
jobs compete for the cores, so both are recorded.
"""

import statistics
import time


def interleaved_wall_and_cpu(callables, rounds, warmup=2):
    """(wall, cpu): median seconds per call of each callable in `callables`."""
    for fn in callables.values():
        for _ in range(warmup):
            fn()
    wall = {name: [] for name in callables}
    cpu = {name: [] for name in callables}
    for _ in range(rounds):
        for name, fn in callables.items():
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - start_wall)
            cpu[name].append(time.process_time() - start_cpu)
    return (
        {name: statistics.median(times) for name, times in wall.items()},
        {name: statistics.median(times) for name, times in cpu.items()},
    )


def interleaved_medians(callables, rounds, warmup=2):
    """Median wall seconds per call of each callable in `callables` (a dict)."""
    return interleaved_wall_and_cpu(callables, rounds, warmup)[0]


def print_ratios(title, medians, baseline, cpu_medians=None):
    """Print each median and its ratio to the baseline (and CPU-time ratios)."""
    print(f"\n{title}")
    header = f"{'variant':<42}{'ms/step':>10}{'ratio':>8}"
    print(header + (f"{'cpu ratio':>11}" if cpu_medians else ""))
    for name, seconds in medians.items():
        line = f"{name:<42}{1000 * seconds:>10.1f}{seconds / medians[baseline]:>7.2f}x"
        if cpu_medians:
            line += f"{cpu_medians[name] / cpu_medians[baseline]:>10.2f}x"
        print(line)
