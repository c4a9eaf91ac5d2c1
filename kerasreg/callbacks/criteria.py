"""Pure early-stopping rules: each reads a history of values and decides.

A rule sees the whole history of the monitored quantity (oriented so that lower
is better) and says whether to stop after its last entry, which entry is the
best, and how long ago it was. Nothing here touches a model, a file or a clock,
so every rule is tested with plain lists of numbers, and a resumed run that
rebuilds its history takes exactly the decisions of an uninterrupted one.

Rules (t indexes the history from 1; E(t) is the value at t):

- `patience_rule`: Keras' rule. An entry improves when it beats the best so far
  by more than `min_delta`; stop once `patience` entries in a row have not
  improved (`wait >= max(patience, 1)`).
- `gl_rule`: Prechelt's GL_alpha. E_opt(t) = min over t' <= t of E(t');
  GL(t) = 100 * (E(t) / E_opt(t) - 1); stop at the first t with GL(t) > alpha.
- `pq_rule`: Prechelt's PQ_alpha. At the end of each strip of k entries,
  P_k(t) = 1000 * (sum of the strip's training losses / (k * their minimum) - 1);
  stop when GL(t) / P_k(t) > alpha.
- `up_rule`: Prechelt's UP_s. At the end of a strip, stop when E rose at the end
  of each of s successive strips: E(t) > E(t - k) > ... > E(t - s*k).

Reference:
    L. Prechelt, "Early Stopping — but when?", in Neural Networks: Tricks of
    the Trade, LNCS 1524, Springer, 1998, pp. 55-69.
"""

import dataclasses
import math

CRITERIA = ("patience", "gl", "pq", "up")
DIRECTIONS = ("min", "max")
MIN_DELTA_MODES = ("absolute", "relative")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a rule decides after the last entry of a history.

    Attributes:
        stop: whether training should stop now.
        best_index: index of the best entry, or `None` when no entry is finite.
        best: the best value, or `None` when no entry is finite.
        wait: entries since the patience counter was last reset (the best entry
            for Prechelt's rules).
        reason: why the rule stops; empty when it does not.
    """

    stop: bool
    best_index: int | None
    best: float | None
    wait: int
    reason: str = ""


def moving_average(values, window):
    """Trailing mean of the last `window` values (fewer at the start)."""
    averaged = []
    for end in range(1, len(values) + 1):
        recent = values[max(0, end - window) : end]
        averaged.append(math.fsum(recent) / len(recent))
    return averaged


def best_entry(values):
    """(index, value) of the lowest finite value, the first one on ties."""
    best_index = None
    for index, value in enumerate(values):
        if math.isfinite(value) and (best_index is None or value < values[best_index]):
            best_index = index
    if best_index is None:
        return None, None
    return best_index, values[best_index]


def _improves(value, reference, min_delta, relative):
    threshold = min_delta * abs(reference) if relative else min_delta
    return value + threshold < reference


def patience_rule(values, patience, min_delta=0.0, relative=False, baseline=None):
    """Stop once `patience` entries in a row have not improved on the best.

    Keras' `EarlyStopping` rule, with one deliberate difference: an entry that
    improves on the best but not on `baseline` does not reset the counter and
    may stop training (Keras never stops on an improving entry, so a run that
    keeps improving without reaching its baseline never stops, contrary to its
    own documentation). Non-finite values never improve.

    Args:
        values: the history, lower is better.
        patience: entries without improvement that stop training.
        min_delta: how much an entry must beat the best by.
        relative: `min_delta` is a fraction of the reference value.
        baseline: a value an entry must also beat to reset the counter.
    """
    best_index, best, wait = None, None, 0
    for index, value in enumerate(values):
        wait += 1
        finite = math.isfinite(value)
        if finite and (best is None or _improves(value, best, min_delta, relative)):
            best_index, best = index, value
            if baseline is None or _improves(value, baseline, min_delta, relative):
                wait = 0
    stop = wait >= max(patience, 1)
    reason = f"no improvement in {wait} epoch(s) (patience={patience})" if stop else ""
    return Verdict(stop, best_index, best, wait, reason)


def generalization_loss(value, best):
    """GL = 100 * (value / best - 1), the generalization loss in percent."""
    if best <= 0:
        raise ValueError(
            "Prechelt's GL needs positive values of the monitored quantity. "
            f"Received: a best value of {best!r}"
        )
    return 100.0 * (value / best - 1.0)


def training_progress(train_losses):
    """P_k = 1000 * (sum / (k * min) - 1) over one strip of training losses."""
    lowest = min(train_losses)
    if lowest <= 0:
        raise ValueError(
            "Prechelt's training progress needs positive training losses. "
            f"Received: a minimum of {lowest!r} over the strip"
        )
    return 1000.0 * (math.fsum(train_losses) / (len(train_losses) * lowest) - 1.0)


def _prechelt_verdict(values, stop, reason):
    best_index, best = best_entry(values)
    wait = len(values) if best_index is None else len(values) - 1 - best_index
    return Verdict(stop, best_index, best, wait, reason if stop else "")


def _current_gl(values):
    best_index, best = best_entry(values)
    if best_index is None:
        return math.nan
    return generalization_loss(values[-1], best)


def gl_rule(values, alpha):
    """Stop at the first entry with GL(t) > alpha."""
    gl = _current_gl(values)
    return _prechelt_verdict(values, gl > alpha, f"GL={gl:.4g} > alpha={alpha:g}")


def _at_strip_end(values, strip_length):
    return len(values) > 0 and len(values) % strip_length == 0


def pq_rule(values, train_losses, alpha, strip_length):
    """At the end of a strip, stop when GL(t) / P_k(t) > alpha.

    `train_losses` runs alongside `values`. A strip whose training losses are
    all equal has P_k = 0, an infinite quotient: it stops whenever GL > 0.
    """
    if not _at_strip_end(values, strip_length):
        return _prechelt_verdict(values, False, "")
    gl = _current_gl(values)
    progress = training_progress(train_losses[-strip_length:])
    # GL / P > alpha, written without the division so that P = 0 needs no case.
    stop = gl > alpha * progress
    reason = f"GL/P_{strip_length}={gl:.4g}/{progress:.4g} > alpha={alpha:g}"
    return _prechelt_verdict(values, stop, reason)


def up_rule(values, strip_length, strips):
    """At the end of a strip, stop when E rose at the end of `strips` strips.

    With `strip_length=1, strips=k` this is "the validation loss increased in
    each of k successive epochs".
    """
    last = len(values) - 1
    ends = [last - j * strip_length for j in range(strips + 1)]
    stop = (
        _at_strip_end(values, strip_length)
        and ends[-1] >= 0
        and all(values[a] > values[b] for a, b in zip(ends, ends[1:], strict=False))
    )
    reason = f"the value rose over {strips} strip(s) of {strip_length} epoch(s)"
    return _prechelt_verdict(values, stop, reason)


@dataclasses.dataclass(frozen=True)
class StopRule:
    """One configured stop rule: orientation, smoothing, criterion, NaN policy.

    `evaluate` is the whole early-stopping decision as a pure function of the
    history of monitored values (and of training losses, for "pq"); the values
    it reports (`Verdict.best`) are in the monitored quantity's own direction.
    """

    criterion: str = "patience"
    direction: str = "min"
    patience: int = 0
    min_delta: float = 0.0
    min_delta_mode: str = "absolute"
    baseline: float | None = None
    alpha: float | None = None
    strip_length: int = 5
    strips: int = 1
    smoothing_window: int = 1
    stop_on_nan: bool = True

    def nonfinite_reason(self, value):
        """Why `value` stops training at once, or '' when it does not."""
        if self.stop_on_nan and not math.isfinite(value):
            return f"the monitored value is {value}"
        return ""

    def evaluate(self, values, train_losses=()):
        """The decision after the last entry of `values`."""
        sign = 1.0 if self.direction == "min" else -1.0
        oriented = [sign * v for v in moving_average(values, self.smoothing_window)]
        verdict = self._criterion_verdict(oriented, train_losses)
        best = None if verdict.best is None else sign * verdict.best
        verdict = dataclasses.replace(verdict, best=best)
        reason = self.nonfinite_reason(values[-1]) if values else ""
        if reason:
            return dataclasses.replace(verdict, stop=True, reason=reason)
        if verdict.stop:
            reason = f"criterion '{self.criterion}': {verdict.reason}"
            return dataclasses.replace(verdict, reason=reason)
        return verdict

    def _criterion_verdict(self, oriented, train_losses):
        if self.criterion == "gl":
            return gl_rule(oriented, self.alpha)
        if self.criterion == "pq":
            return pq_rule(oriented, list(train_losses), self.alpha, self.strip_length)
        if self.criterion == "up":
            return up_rule(oriented, self.strip_length, self.strips)
        baseline = None
        if self.baseline is not None:
            baseline = self.baseline if self.direction == "min" else -self.baseline
        return patience_rule(
            oriented,
            self.patience,
            self.min_delta,
            relative=self.min_delta_mode == "relative",
            baseline=baseline,
        )


def first_stop(rule, values, train_losses=()):
    """Index of the first entry after which `rule` stops, or `None`."""
    for end in range(1, len(values) + 1):
        if rule.evaluate(values[:end], train_losses[:end]).stop:
            return end - 1
    return None
