"""One trial: build, train and what it measures."""

import math

import keras
import numpy as np
import pytest

from kerasreg.experiments.data import as_dataset
from kerasreg.experiments.techniques import Setting
from kerasreg.experiments.training import Trainer

# The trainer feeds Keras through tf.data.
pytestmark = pytest.mark.tensorflow_only


def _trainer(build_model, **changes):
    rng = np.random.default_rng(0)
    x = rng.random((60, 4, 4, 1), dtype="float32")
    fields = {
        "build_model": build_model,
        "data": as_dataset((x, np.arange(60) % 3)),
        "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "optimizer": lambda lr: keras.optimizers.SGD(lr),
        "augmentation": None,
        "batch_size": 16,
    }
    return Trainer(**{**fields, **changes})


def _mlp(switches):
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(8, kernel_regularizer=switches.kernel_regularizer)(x)
    return keras.Model(inputs, keras.layers.Dense(3)(switches.dropout(x)))


def test_validation_loss_is_the_data_loss_without_the_penalty():
    trainer = _trainer(_mlp)
    model = trainer.model(Setting(penalty="L2", strength=10.0), 0.1, seed=0)
    assert model.losses  # the penalty is there...
    loss, accuracy = trainer.evaluate(model)
    data = trainer.data
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
        data.y_val, model(data.x_val)
    )
    # ...but the validation loss the choices rest on is the data loss alone.
    assert loss == pytest.approx(float(expected), rel=1e-6)
    predictions = np.argmax(keras.ops.convert_to_numpy(model(data.x_val)), axis=-1)
    assert accuracy == np.mean(predictions == data.y_val)


def test_a_diverged_run_has_infinite_validation_loss():
    trainer = _trainer(_mlp)
    model = trainer.model(Setting(), 0.1, seed=0)
    model.set_weights(
        [np.full(w.shape, np.nan, "float32") for w in model.get_weights()]
    )
    assert trainer.evaluate(model)[0] == math.inf


def test_run_measures_epochs_zeros_and_histogram():
    trainer = _trainer(_mlp)
    values = {**Setting(penalty="L1", strength=0.05).values(), "seed": 0}
    values.update(learning_rate=0.5, epochs=3, path="")
    run = trainer.run(values)
    assert run.epochs_run == 3 and len(run.history["val_loss"]) == 3
    assert sum(run.kernel_histogram) == 16 * 8
    # Proximal's soft-threshold gives exact zeros, counted over every kernel.
    model_zeros = run.zero_fraction
    assert 0.0 < model_zeros <= 1.0


def test_each_epoch_logs_the_validation_scores_of_evaluate():
    trainer = _trainer(_mlp)
    model = trainer.model(Setting(), 0.1, seed=0)
    scores = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            # Keras' own evaluation of the model as it stands after the epoch.
            data = trainer.data
            scores.append(
                model.evaluate(data.x_val, data.y_val, verbose=0, return_dict=True)[
                    "loss"
                ]
            )
            assert logs["val_loss"] == pytest.approx(scores[-1], rel=1e-5)

    history, _ = trainer.fit(model, Setting(), seed=0, epochs=3, callbacks=[Record()])
    assert len(history["val_loss"]) == len(history["val_accuracy"]) == 3
    assert history["val_loss"] == pytest.approx(scores, rel=1e-5)


@pytest.mark.parametrize("batch_size", [7, 16, 60])
def test_each_epoch_visits_every_training_example_once(batch_size):
    from kerasreg.experiments import tf_data

    data = as_dataset((np.arange(60, dtype="float32")[:, None], np.arange(60) % 3))
    steps = math.ceil(len(data.x_train) / batch_size)
    batches = [
        x.numpy().ravel()
        for x, _ in tf_data.training_data(data, 0, batch_size).take(2 * steps)
    ]
    first, second = (
        np.concatenate(batches[i * steps : (i + 1) * steps]) for i in (0, 1)
    )
    assert sorted(first) == sorted(second) == sorted(data.x_train.ravel())
    assert len(batches[0]) == min(batch_size, len(data.x_train))
    if batch_size < len(data.x_train):
        assert not np.array_equal(first, second)  # reshuffled each epoch


def test_the_training_order_is_the_seeds():
    from kerasreg.experiments import tf_data

    data = as_dataset((np.arange(60, dtype="float32")[:, None], np.arange(60) % 3))

    def order(seed):
        pipeline = tf_data.training_data(data, seed, 8).take(10)
        return np.concatenate([x.numpy().ravel() for x, _ in pipeline])

    np.testing.assert_array_equal(order(1), order(1))
    assert not np.array_equal(order(1), order(2))


def test_a_trial_traces_its_training_step_once_and_trains_as_keras_fit():
    trainer = _trainer(_mlp)
    setting = Setting(penalty="L2", strength=0.01, dropout_rate=0.2)
    model = trainer.model(setting, 0.1, seed=3)
    traced = []
    step = model.train_step
    model.train_step = lambda data: traced.append(1) or step(data)
    history, _ = trainer.fit(model, setting, seed=3, epochs=3)
    # The metrics' variables exist before the step is traced: one trace.
    assert len(traced) == 1
    # And the metrics start at zero each epoch: the same history as Keras'
    # own fit of the same model, data and order (no warm-up left in them).
    from kerasreg.experiments import tf_data

    reference = trainer.model(setting, 0.1, seed=3)
    expected = reference.fit(
        tf_data.training_data(trainer.data, 3, trainer.batch_size),
        steps_per_epoch=math.ceil(len(trainer.data.x_train) / trainer.batch_size),
        epochs=3,
        verbose=0,
    ).history
    for key in ("loss", "accuracy"):
        assert history[key] == pytest.approx(expected[key], rel=1e-6)
