"""Pure early-stopping rules: each reads a history of values and decides.

A rule sees the history of the monitored quantity and the verdict it gave one
entry earlier (its best value, where that was, and how long ago), and says
whether to stop after the last entry. Nothing here touches a model, a file or
a clock, so every rule is tested with plain lists of numbers, and a resumed run
that reloads its history takes exactly the decisions of an uninterrupted one.
Carrying the previous verdict (instead of recomputing it from the whole
history) is what lets EarlyStopping's `best` and `wait` be written as in Keras.

Rules (t indexes the history from 1; E(t) is the value at t, lower is better):

- "patience": Keras' rule. An entry improves when it beats the best so far by
  more than `min_delta`; stop once `patience` entries in a row have not
  improved (`wait >= max(patience, 1)`).
- "gl": Prechelt's GL_alpha. E_opt(t) = min over t' <= t of E(t');
  GL(t) = 100 * (E(t) / E_opt(t) - 1); stop at the first t with GL(t) > alpha.
- "pq": Prechelt's PQ_alpha. At the end of each strip of k entries,
  P_k(t) = 1000 * (sum of the strip's training losses / (k * their minimum) - 1);
  stop when GL(t) / P_k(t) > alpha.
- "up": Prechelt's UP_s. At the end of a strip, stop when E rose at the end of
  each of s successive strips: E(t) > E(t - k) > ... > E(t - s*k).

Reference:
    L. Prechelt, "Early Stopping — but when?", in Neural Networks: Tricks of
    the Trade, LNCS 1524, Springer, 1998, pp. 55-69.
"""

import dataclasses
import math

from kerasreg import _validation

CRITERIA = ("patience", "gl", "pq", "up")
MIN_DELTA_MODES = ("absolute", "relative")

# The arguments each criterion reads. The others must keep their defaults, so
# that no argument is silently ignored.
_CRITERION_ARGUMENTS = {
    "patience": {"patience", "min_delta", "min_delta_mode", "baseline"},
    "gl": {"alpha"},
    "pq": {"alpha", "strip_length"},
    "up": {"strip_length", "strips"},
}


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

    stop: bool = False
    best_index: int | None = None
    best: float | None = None
    wait: int = 0
    reason: str = ""


def moving_average(values, window):
    """Trailing mean of the last `window` values (fewer at the start).

    Example:

    >>> kerasreg.callbacks.criteria.moving_average([1.0, 3.0, 5.0, 7.0], 2)
    [1.0, 2.0, 4.0, 6.0]
    """
    return [_trailing_mean(values, end, window) for end in range(len(values))]


def _trailing_mean(values, index, window):
    recent = values[max(0, index - window + 1) : index + 1]
    return math.fsum(recent) / len(recent)


def _improves(value, reference, min_delta, relative):
    threshold = min_delta * abs(reference) if relative else min_delta
    return value + threshold < reference


def generalization_loss(value, best):
    """GL = 100 * (value / best - 1), the generalization loss in percent.

    Example:

    >>> # The monitored loss is 10% above its best.
    >>> round(kerasreg.callbacks.criteria.generalization_loss(1.1, 1.0), 6)
    10.0
    """
    if best <= 0:
        raise ValueError(
            "Prechelt's GL needs positive values of the monitored quantity. "
            f"Received: a best value of {best!r}"
        )
    return 100.0 * (value / best - 1.0)


def training_progress(train_losses):
    """P_k = 1000 * (sum / (k * min) - 1) over one strip of training losses.

    Example:

    >>> round(kerasreg.callbacks.criteria.training_progress([1.2, 1.1, 1.0]), 6)
    100.0
    """
    lowest = min(train_losses)
    if lowest <= 0:
        raise ValueError(
            "Prechelt's training progress needs positive training losses. "
            f"Received: a minimum of {lowest!r} over the strip"
        )
    return 1000.0 * (math.fsum(train_losses) / (len(train_losses) * lowest) - 1.0)


def follows(criterion, direction):
    """Whether `criterion` can follow a quantity to minimize ("min") or
    maximize ("max"): GL is a ratio to the lowest value so far, and PQ is built
    on GL, so "gl" and "pq" need a positive quantity to minimize."""
    return not (criterion in ("gl", "pq") and direction == "max")


def _check_optional_float(argument, value, **bounds):
    if value is None:
        return None
    return _validation.check_float(argument, value, **bounds)


@dataclasses.dataclass(frozen=True)
class StopRule:
    """One configured stop rule: orientation, smoothing, criterion, NaN policy.

    `step` is the whole early-stopping decision for one new entry, a pure
    function of the history of monitored values (and of training losses, for
    "pq") and of the verdict one entry earlier; the values it reports
    (`Verdict.best`) are in the monitored quantity's own direction. The
    arguments are checked at construction, with EarlyStopping's names; the
    defaults here are EarlyStopping's.

    `direction` is `None` while it is not known yet (EarlyStopping's
    `mode="auto"` before the first epoch): such a rule is only checked, and
    `with_direction` gives the rule that decides.

    Example:

    >>> rule = kerasreg.callbacks.criteria.StopRule(patience=2)
    >>> losses = [1.0, 0.8, 0.9, 0.85, 0.7]
    >>> rule.step(kerasreg.callbacks.criteria.Verdict(), losses[:1])
    Verdict(stop=False, best_index=0, best=1.0, wait=0, reason='')
    >>> kerasreg.callbacks.criteria.first_stop(rule, losses)  # after 0.9, 0.85
    3
    """

    criterion: str = "patience"
    direction: str | None = "min"
    patience: int = 0
    min_delta: float = 0.0
    min_delta_mode: str = "absolute"
    baseline: float | None = None
    alpha: float | None = None
    strip_length: int = 5
    strips: int = 1
    smoothing_window: int = 1
    stop_on_nan: bool = True

    def __post_init__(self):
        check = _validation
        relative = self.min_delta_mode == "relative"
        checked = {
            "criterion": check.check_choice("criterion", self.criterion, CRITERIA),
            "patience": check.check_int("patience", self.patience, low=0),
            "min_delta_mode": check.check_choice(
                "min_delta_mode", self.min_delta_mode, MIN_DELTA_MODES
            ),
            "min_delta": check.check_float(
                "min_delta", self.min_delta, low=0.0, high=1.0 if relative else None
            ),
            "baseline": _check_optional_float("baseline", self.baseline),
            "alpha": _check_optional_float("alpha", self.alpha, low=0.0),
            "strip_length": check.check_int("strip_length", self.strip_length, low=1),
            "strips": check.check_int("strips", self.strips, low=1),
            "smoothing_window": check.check_int(
                "smoothing_window", self.smoothing_window, low=1
            ),
            "stop_on_nan": check.check_bool("stop_on_nan", self.stop_on_nan),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        self._check_criterion_arguments()

    def _check_criterion_arguments(self):
        used = _CRITERION_ARGUMENTS[self.criterion]
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in _ALL_CRITERION_ARGUMENTS - used and value != field.default:
                raise _validation.invalid(
                    field.name,
                    value,
                    f"{field.default!r} (its default), because criterion="
                    f"{self.criterion!r} does not use it",
                )
        if "alpha" in used and self.alpha is None:
            raise _validation.invalid(
                "alpha", None, f"a float >= 0 with criterion={self.criterion!r}"
            )
        if not follows(self.criterion, self.direction):
            raise _validation.invalid(
                "mode",
                self.direction,
                f"'auto' or 'min' with criterion={self.criterion!r}, which needs "
                "a positive quantity to minimize",
            )

    def with_direction(self, direction):
        """This rule for a quantity to minimize ("min") or maximize ("max")."""
        return dataclasses.replace(self, direction=direction)

    def nonfinite_reason(self, value):
        """Why `value` stops training at once, or '' when it does not."""
        if self.stop_on_nan and not math.isfinite(value):
            return f"the monitored value is {value}"
        return ""

    def step(self, previous, values, train_losses=(), position=None):
        """The decision after the last entry of `values`.

        `previous` is the verdict after `values[:-1]` (`Verdict()` before the
        first entry); its `best`, `best_index` and `wait` are carried on. A new
        best is reported at `position` (defaults to its index in `values`;
        EarlyStopping passes the epoch).
        """
        sign = 1.0 if self.direction == "min" else -1.0
        index = len(values) - 1
        position = index if position is None else position
        value = sign * _trailing_mean(values, index, self.smoothing_window)
        best = None if previous.best is None else sign * previous.best
        verdict = self._criterion_step(
            Verdict(False, previous.best_index, best, previous.wait),
            values,
            value,
            train_losses,
            position,
        )
        best = None if verdict.best is None else sign * verdict.best
        verdict = dataclasses.replace(verdict, best=best)
        reason = self.nonfinite_reason(values[-1])
        if reason:
            return dataclasses.replace(verdict, stop=True, reason=reason)
        if verdict.stop:
            reason = f"criterion '{self.criterion}': {verdict.reason}"
            return dataclasses.replace(verdict, reason=reason)
        return verdict

    def evaluate(self, values, train_losses=()):
        """The decision after the last entry of `values`, from the start."""
        verdict = Verdict()
        for end in range(1, len(values) + 1):
            verdict = self.step(verdict, values[:end], train_losses[:end])
        return verdict

    def _criterion_step(self, carried, values, value, train_losses, position):
        if self.criterion == "patience":
            return self._patience_step(carried, position, value)
        carried = _track_lowest(carried, position, value)
        if self.criterion == "gl":
            gl = _current_gl(carried, value)
            return _decide(
                carried, gl > self.alpha, f"GL={gl:.4g} > alpha={self.alpha:g}"
            )
        if not _at_strip_end(values, self.strip_length):
            return carried
        if self.criterion == "pq":
            gl = _current_gl(carried, value)
            progress = training_progress(list(train_losses[-self.strip_length :]))
            # GL / P > alpha, written without the division: P = 0 needs no case.
            return _decide(
                carried,
                gl > self.alpha * progress,
                f"GL/P_{self.strip_length}={gl:.4g}/{progress:.4g} > "
                f"alpha={self.alpha:g}",
            )
        return _decide(
            carried,
            self._rose_over_strips(values),
            f"the value rose over {self.strips} strip(s) of "
            f"{self.strip_length} epoch(s)",
        )

    def _patience_step(self, carried, position, value):
        """Keras' rule, with one deliberate difference.

        An entry that improves on the best but not on `baseline` does not reset
        the counter and may stop training (Keras never stops on an improving
        entry, so a run that keeps improving without reaching its baseline
        never stops, contrary to its own documentation). Non-finite values
        never improve.
        """
        relative = self.min_delta_mode == "relative"
        best_index, best, wait = carried.best_index, carried.best, carried.wait + 1
        if math.isfinite(value) and (
            best is None or _improves(value, best, self.min_delta, relative)
        ):
            best_index, best = position, value
            baseline = self.baseline
            if baseline is not None and self.direction == "max":
                baseline = -baseline
            if baseline is None or _improves(value, baseline, self.min_delta, relative):
                wait = 0
        stop = wait >= max(self.patience, 1)
        reason = (
            f"no improvement in {wait} epoch(s) (patience={self.patience})"
            if stop
            else ""
        )
        return Verdict(stop, best_index, best, wait, reason)

    def _rose_over_strips(self, values):
        window = self.smoothing_window
        last = len(values) - 1
        ends = [last - j * self.strip_length for j in range(self.strips + 1)]
        if ends[-1] < 0:
            return False
        smoothed = [_trailing_mean(values, end, window) for end in ends]
        if self.direction == "max":
            smoothed = [-v for v in smoothed]
        return all(a > b for a, b in zip(smoothed, smoothed[1:], strict=False))


_ALL_CRITERION_ARGUMENTS = set().union(*_CRITERION_ARGUMENTS.values())


def _track_lowest(carried, position, value):
    """Prechelt's E_opt: the lowest finite value, the first one on ties."""
    if math.isfinite(value) and (carried.best is None or value < carried.best):
        return Verdict(False, position, value, 0)
    return dataclasses.replace(carried, wait=carried.wait + 1)


def _current_gl(carried, value):
    if carried.best is None:
        return math.nan
    return generalization_loss(value, carried.best)


def _at_strip_end(values, strip_length):
    return len(values) % strip_length == 0


def _decide(carried, stop, reason):
    return dataclasses.replace(carried, stop=stop, reason=reason if stop else "")


def first_stop(rule, values, train_losses=()):
    """Index of the first entry after which `rule` stops, or `None`."""
    verdict = Verdict()
    for end in range(1, len(values) + 1):
        verdict = rule.step(verdict, values[:end], train_losses[:end])
        if verdict.stop:
            return end - 1
    return None
