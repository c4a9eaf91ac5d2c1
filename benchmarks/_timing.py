"""Side-by-side timing shared by the benchmarks: interleaved rounds, medians.

The machine is shared and noisy, so variants are timed in alternation (one
call each per round) and compared by the median, as ratios to a baseline.
"""

import statistics
import time


def interleaved_medians(callables, rounds, warmup=2):
    """Median seconds per call of each callable in `callables` (a dict)."""
    for fn in callables.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in callables}
    for _ in range(rounds):
        for name, fn in callables.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def print_ratios(title, medians, baseline):
    """Print each median and its ratio to `medians[baseline]`."""
    print(f"\n{title}")
    print(f"{'variant':<42}{'ms/step':>10}{'ratio':>8}")
    for name, seconds in medians.items():
        ratio = seconds / medians[baseline]
        print(f"{name:<42}{1000 * seconds:>10.1f}{ratio:>7.2f}x")
