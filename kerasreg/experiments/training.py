"""One trial of a study: build the user's model with a setting, train, measure."""

import dataclasses
import math
import os
import time

import keras
import numpy as np

import kerasreg
from kerasreg._validation import invalid
from kerasreg.callbacks import EarlyStopping
from kerasreg.experiments import tf_data
from kerasreg.experiments.records import (
    HISTORY,
    Run,
    kernel_histogram,
    path_model,
    recommended_point,
)
from kerasreg.experiments.regularization_path import warm_started_path, zero_share
from kerasreg.experiments.switches import Switches
from kerasreg.experiments.techniques import TECHNIQUES, Setting
from kerasreg.feature_selection import selected_features
from kerasreg.optimizers import Proximal

# Inference on the evaluation sets in chunks of this many examples.
_CHUNK = 2048


@dataclasses.dataclass(frozen=True)
class Trainer:
    """Builds, trains and measures the user's model for one trial's values.

    Args:
        build_model: callable `Switches -> keras.Model`.
        data: a `kerasreg.experiments.data.Dataset`.
        loss: the loss to compile with.
        optimizer: callable `learning_rate -> keras optimizer`; it is wrapped
            in `kerasreg.optimizers.Proximal`, so L1-type penalties give exact
            zeros and the others train exactly as under the optimizer alone.
        augmentation: callable `(magnitude, seed) -> layer`.
        batch_size: int.
        log_dir: folder for each run's logs (Keras' `CSVLogger`), or None.
        tensorboard: bool, also log each run for TensorBoard (Keras'
            `TensorBoard` callback). Off by default: its summaries cost time
            every epoch (a demo trial took 1.07x as long with them,
            `benchmarks/bench_study.py --only trial`), and the report reads
            the runs' histories, not the event files.
        count_features: bool, whether each path point records the input
            features its model keeps (a table's rows whose first Dense
            layer takes the features; `preflight` decides). Defaults to
            `False`.
    """

    build_model: object
    data: object
    loss: object
    optimizer: object
    augmentation: object
    batch_size: int
    log_dir: str | None = None
    tensorboard: bool = False
    count_features: bool = False

    def model(self, setting, learning_rate, seed):
        """The compiled model of `setting` (random state seeded first)."""
        keras.utils.set_random_seed(seed)
        penalty = setting.regularizer()
        switches = Switches(
            penalty=penalty,
            dropout_rate=setting.dropout_rate,
            batch_norm=setting.batch_norm,
            augmentation=(
                (lambda s: self.augmentation(setting.augmentation, s))
                if setting.augmentation
                else None
            ),
            seed=seed,
        )
        model = self.build_model(switches)
        if not isinstance(model, keras.Model):
            raise invalid(
                "build_model",
                self.build_model,
                "a callable that must return a keras.Model, not a "
                f"{type(model).__name__}",
                TypeError,
            )
        _check_placed(setting, switches, self.build_model)
        if penalty is not None and "kernel_regularizer" not in switches.used:
            # A model the user cannot edit still gets the penalty.
            if not model.built:
                model.build((None, *self.data.image_shape))
            kerasreg.apply_regularization(model, kernel_regularizer=penalty)
        steps = math.ceil(len(self.data.x_train) / self.batch_size)
        model.compile(
            optimizer=Proximal(self.optimizer(learning_rate)),
            loss=self.loss,
            metrics=["accuracy"],
            # One compiled call per epoch: per-step Python overhead would
            # dominate the milliseconds a step of a small network takes.
            steps_per_execution=steps,
        )
        # Built before the first train step is traced, Proximal takes the
        # penalties out of the loss graph altogether (see its docstring).
        model.optimizer.build(model.trainable_variables)
        return model

    def fit(self, model, setting, seed, epochs, callbacks=()):
        """Train `model`; returns its Keras history and early stopping."""
        callbacks = list(callbacks)
        stopper = None
        if setting.patience:
            stopper = EarlyStopping(
                monitor="val_loss", patience=setting.patience, restore_best_weights=True
            )
            callbacks.append(stopper)
        # The validation scores come first: the other callbacks (early
        # stopping, the loggers, Keras' history) read them in this epoch's logs.
        callbacks.insert(0, _Validation(self.evaluate))
        # The metrics' variables are made first, by one eager update on two
        # examples, then reset: a variable made while the training step is
        # traced makes TensorFlow trace it a second time, a fixed cost of
        # every model (the preflight has already called the model on data).
        x, y = self.data.x_train[:2], self.data.y_train[:2]
        model.compute_metrics(x, y, model(x, training=False))
        model.reset_metrics()
        history = model.fit(
            tf_data.training_data(self.data, seed, self.batch_size),
            steps_per_epoch=math.ceil(len(self.data.x_train) / self.batch_size),
            epochs=epochs,
            callbacks=callbacks,
            shuffle=False,  # the dataset shuffles itself, reproducibly per seed
            verbose=0,
        ).history
        return history, stopper

    def run(self, values, callbacks=()):
        """Train and measure the trial of `values`; returns its `Run`."""
        start = time.perf_counter()
        setting = Setting.from_values(values)
        seed = values["seed"]
        model = self.model(setting, values["learning_rate"], seed)
        name = setting.describe()
        callbacks = [*callbacks, *self._loggers(values)]
        history, stopper = self.fit(model, setting, seed, values["epochs"], callbacks)
        val_loss, val_accuracy = self.evaluate(model)
        kernels = _kernels(model)
        first = kernels[0]
        limit, counts = kernel_histogram(first)
        return Run(
            technique=name,
            seed=seed,
            train_accuracy=accuracy(model, self.data.x_train, self.data.y_train),
            val_accuracy=val_accuracy,
            test_accuracy=accuracy(model, self.data.x_test, self.data.y_test),
            val_loss=val_loss,
            epochs_run=len(history["loss"]),
            best_epoch=_one_based(stopper.best_epoch) if stopper else None,
            # Keras' `stopped_epoch` is 0 also when training never stopped.
            stopped_epoch=(
                _one_based(stopper.stopped_epoch)
                if stopper and stopper.stop_reason
                else None
            ),
            zero_fraction=zero_share(model),
            first_zero_fraction=float(np.mean(first == 0.0)),
            wall_time=time.perf_counter() - start,
            history={
                key: [float(v) for v in history[key]]
                for key in HISTORY
                if key in history
            },
            kernel_limit=limit,
            kernel_histogram=counts,
        )

    def run_path(self, penalty, strengths, values):
        """The warm-started path of `penalty` over `strengths` (strong first)."""
        learning_rate, epochs = values["learning_rate"], values["epochs"]

        def build(strength):
            setting = Setting(penalty=penalty, strength=strength)
            return self.model(setting, learning_rate, values["seed"])

        def train(model):
            self.fit(model, Setting(), values["seed"], epochs)

        models = []

        def measure(model):
            models.append(model)
            val_loss, val_accuracy = self.evaluate(model)
            return {"val_accuracy": val_accuracy, "val_loss": val_loss}

        points = warm_started_path(build, strengths, train, measure)
        if self.count_features:
            points = [
                dataclasses.replace(point, features=_kept_features(point, model))
                for point, model in zip(points, models, strict=True)
            ]
        index = recommended_point(points)
        if index is not None and self.log_dir is not None:
            # The sparse model the path recommends, for the report to hand out.
            os.makedirs(self.log_dir, exist_ok=True)
            models[index].save(os.path.join(self.log_dir, path_model(penalty)))
        return points

    def evaluate(self, model):
        """(validation loss, validation accuracy); the loss is inf if diverged.

        The data loss alone (no penalty), as after every epoch of `fit`.
        """
        # One inference pass over the validation split serves both numbers.
        logits = _logits(model, self.data.x_val, compiled=True)
        value = float(
            keras.ops.convert_to_numpy(
                keras.losses.get(self.loss)(self.data.y_val, logits)
            )
        )
        loss = value if math.isfinite(value) else math.inf
        return loss, _accuracy(logits, self.data.y_val)

    def _loggers(self, values):
        if self.log_dir is None:
            return []
        setting = Setting.from_values(values)
        # One folder per trial: TensorBoard lists them by these names.
        folder = os.path.join(
            self.log_dir,
            setting.describe().replace(" ", ""),
            # A halving rung and the full run share their setting and seed.
            f"lr{values['learning_rate']:g}_seed{values['seed']}"
            f"_epochs{values['epochs']}",
        )
        os.makedirs(folder, exist_ok=True)
        loggers = [keras.callbacks.CSVLogger(os.path.join(folder, "history.csv"))]
        if self.tensorboard:
            loggers.append(
                keras.callbacks.TensorBoard(folder, write_graph=False, profile_batch=0)
            )
        return loggers


class _Validation(keras.callbacks.Callback):
    """Logs `val_loss` and `val_accuracy`, from `evaluate(model)`, at the end
    of each epoch.

    In place of `fit(validation_data=...)`: Keras' validation pass runs
    under the training's `steps_per_execution` and, on a small network,
    costs more than the epoch's training. This is one inference call on the
    validation split, and its loss is the study's: the data loss alone.
    """

    def __init__(self, evaluate):
        super().__init__()
        self.evaluate = evaluate

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"], logs["val_accuracy"] = self.evaluate(self.model)


def _check_placed(setting, switches, build_model):
    # A penalty the model never asked for is applied to every kernel; every
    # other technique that is on must have been placed by its switch.
    for known in TECHNIQUES.values():
        placed = known.penalty is not None or known.switch in switches.used
        if known.switch and getattr(setting, known.field) and not placed:
            call, name = f"switches.{known.switch}", known.name
            raise invalid(
                "build_model",
                build_model,
                f"a model that calls `{call}` where {name} goes (it never "
                f"calls `{call}`: {name} has no place in the model), or "
                f"{name!r} left out of `techniques`",
            )


def _kept_features(point, model):
    # A diverged fit's NaN rows are neither kept nor dropped: not counted.
    return None if point.diverged else tuple(selected_features(model))


def _kernels(model):
    return [
        keras.ops.convert_to_numpy(w).ravel()
        for w in model.trainable_weights
        if w.path.endswith("kernel")
    ]


def accuracy(model, x, y):
    """The share of `x` that `model` classifies as `y`, in inference mode."""
    return _accuracy(_logits(model, x), y)


def _accuracy(logits, y):
    return float(np.mean(np.argmax(logits, axis=-1) == y))


def _logits(model, x, compiled=False):
    # `compiled`: through Keras' inference function, for the validation split
    # scored after every epoch (traced once per model; an eager call costs
    # several times more). The one-off passes stay eager: each new shape
    # would trace the function again.
    call = model.predict_on_batch if compiled else _eager(model)
    return np.concatenate([call(x[i : i + _CHUNK]) for i in range(0, len(x), _CHUNK)])


def _eager(model):
    return lambda x: keras.ops.convert_to_numpy(model(x, training=False))


def _one_based(epoch):
    return None if epoch is None else epoch + 1
