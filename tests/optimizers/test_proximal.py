"""Proximal: exact steps, scikit-learn references, schedules, XLA, save/load."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso
from sklearn.preprocessing import StandardScaler

import kerasreg
from kerasreg.optimizers import Proximal
from kerasreg.regularizers import functional
from tests.contracts import assert_config_round_trip, load_in_fresh_process


def _diabetes():
    x, y = load_diabetes(return_X_y=True)
    x = StandardScaler().fit_transform(x).astype("float32")
    y = ((y - y.mean()) / y.std()).astype("float32")[:, None]
    return x, y


def _linear(regularizer, optimizer, jit_compile=False):
    model = keras.Sequential(
        [keras.Input((10,)), keras.layers.Dense(1, kernel_regularizer=regularizer)]
    )
    model.compile(
        optimizer=optimizer,
        loss="mse",
        jit_compile=jit_compile,
        steps_per_execution=500,
    )
    return model


def _fit_full_batch(model, x, y, steps):
    # One full-batch gradient step per "batch": ISTA on the whole data set.
    data = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return model.layers[0].kernel.numpy()[:, 0]


def test_one_step_is_soft_threshold_of_the_data_step():
    x, y = _diabetes()
    lr, l1 = 0.1, 0.05
    model = _linear(kerasreg.L1(l1), Proximal(keras.optimizers.SGD(lr)))
    w0 = model.layers[0].kernel.numpy()
    b0 = model.layers[0].bias.numpy()
    # Gradient of the data term alone (mse), by hand.
    residual = x @ w0 + b0 - y
    grad = 2.0 * x.T @ residual / len(x)
    expected = functional.soft_threshold(w0 - lr * grad, lr * l1)
    model.train_on_batch(x, y)
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), expected, atol=1e-6)


def test_smooth_part_enters_once():
    x, y = _diabetes()
    lr, l2 = 0.1, 0.3
    model = _linear(kerasreg.L2(l2), Proximal(keras.optimizers.SGD(lr)))
    w0 = model.layers[0].kernel.numpy()
    b0 = model.layers[0].bias.numpy()
    grad = 2.0 * x.T @ (x @ w0 + b0 - y) / len(x) + l2 * w0
    model.train_on_batch(x, y)
    np.testing.assert_allclose(
        model.layers[0].kernel.numpy(), w0 - lr * grad, atol=1e-6
    )


@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
def test_elastic_net_reproduces_sklearn(jit_compile):
    x, y = _diabetes()
    alpha, rho = 0.05, 0.5
    reference = SkElasticNet(alpha=alpha, l1_ratio=rho, tol=1e-12, max_iter=100_000)
    reference.fit(x, y[:, 0])
    regularizer = kerasreg.ElasticNet(2 * alpha * rho, 2 * alpha * (1 - rho))
    model = _linear(regularizer, Proximal(keras.optimizers.SGD(0.1)), jit_compile)
    w = _fit_full_batch(model, x, y, 3000)
    scale = np.abs(reference.coef_).max()
    np.testing.assert_allclose(w, reference.coef_, atol=1e-3 * scale)
    np.testing.assert_array_equal(w == 0.0, reference.coef_ == 0.0)
    assert np.count_nonzero(w == 0.0) >= 2


def test_l1_reproduces_sklearn_lasso():
    x, y = _diabetes()
    alpha = 0.08
    reference = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(x, y[:, 0])
    model = _linear(kerasreg.L1(2 * alpha), Proximal(keras.optimizers.SGD(0.1)))
    w = _fit_full_batch(model, x, y, 3000)
    scale = np.abs(reference.coef_).max()
    np.testing.assert_allclose(w, reference.coef_, atol=1e-3 * scale)
    np.testing.assert_array_equal(w == 0.0, reference.coef_ == 0.0)
    assert np.count_nonzero(w == 0.0) >= 3


def test_plain_sgd_leaves_no_exact_zeros():
    x, y = _diabetes()
    model = _linear(kerasreg.L1(0.16), keras.optimizers.SGD(0.1))
    w = _fit_full_batch(model, x, y, 1000)
    assert np.count_nonzero(w == 0.0) == 0
    # ...though the lasso solution has zeros: the subgradient only oscillates.
    assert np.min(np.abs(w)) < 1e-2


def test_group_lasso_zeroes_irrelevant_inputs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    w_true = rng.normal(size=(3, 4)).astype("float32")
    y = np.tanh(x[:, :3]) @ w_true  # inputs 3..7 are irrelevant
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, kernel_regularizer=kerasreg.GroupLasso(0.1)),
            keras.layers.Dense(4),
        ]
    )
    model.compile(
        optimizer=Proximal(keras.optimizers.SGD(0.1)),
        loss="mse",
        steps_per_execution=100,
    )
    _fit_full_batch(model, x, y, 1000)
    kernel = model.layers[0].kernel.numpy()
    assert np.all(kernel[3:] == 0.0), np.abs(kernel).sum(axis=1)
    assert np.all(np.abs(kernel[:3]).sum(axis=1) > 0.1)


def test_learning_rate_schedule_sets_threshold():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    optimizer = Proximal(keras.optimizers.SGD(schedule))
    w = keras.Variable(np.array([0.3, -0.3, 0.02], "float32"))
    w.regularizer = kerasreg.L1(1.0)
    optimizer.build([w])
    zeros = np.zeros(3, "float32")
    optimizer.apply([zeros], [w])  # lr 0.1: threshold 0.1
    np.testing.assert_allclose(w.numpy(), [0.2, -0.2, 0.0], atol=1e-7)
    optimizer.apply([zeros], [w])  # lr 0.05: threshold 0.05
    np.testing.assert_allclose(w.numpy(), [0.15, -0.15, 0.0], atol=1e-7)


@pytest.mark.tensorflow_only  # a tf.function + GradientTape training loop
def test_custom_loop_after_build_acts_once():
    w = keras.Variable(np.array([1.0, -1.0], "float32"))
    w.regularizer = kerasreg.L1(0.5)
    optimizer = Proximal(keras.optimizers.SGD(0.1))
    optimizer.build([w])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            penalty = w.regularizer(w)  # handed over: contributes nothing
            loss = 0.1 * keras.ops.sum(w) + penalty
        optimizer.apply(tape.gradient(loss, [w.value]), [w])
        return penalty

    assert float(step()) == 0.0
    # Data step 1 - 0.1 * 0.1, then soft-threshold by 0.1 * 0.5, once.
    np.testing.assert_allclose(w.numpy(), [0.94, -0.96], atol=1e-6)


def test_log_penalty_keeps_value_without_gradient():
    x, y = _diabetes()
    model = _linear(
        kerasreg.L1(0.5), Proximal(keras.optimizers.SGD(0.0), log_penalty=True)
    )
    model.train_on_batch(x, y)
    kernel = model.layers[0].kernel
    expected = 0.5 * np.abs(kernel.numpy()).sum()
    np.testing.assert_allclose(float(model.losses[0]), expected, rtol=1e-6)


def test_other_regularizers_stay_in_the_loss():
    w = keras.Variable(np.ones(3, "float32"))
    w.regularizer = keras.regularizers.L2(0.1)
    optimizer = Proximal("sgd")
    optimizer.build([w])
    assert float(w.regularizer(w)) == pytest.approx(0.3)


def test_wraps_adam_and_counts_iterations():
    x, y = _diabetes()
    model = _linear(kerasreg.L1(0.5), Proximal(keras.optimizers.Adam(0.05)))
    model.fit(x, y, batch_size=64, epochs=5, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 5 * 7
    assert np.count_nonzero(model.layers[0].kernel.numpy() == 0.0) > 0


def test_config_round_trip():
    optimizer = Proximal(keras.optimizers.Adam(0.01), log_penalty=True)
    clone = assert_config_round_trip(optimizer)
    assert isinstance(clone.inner_optimizer, keras.optimizers.Adam)
    assert float(clone.learning_rate.numpy()) == pytest.approx(0.01)


def test_model_with_proximal_saves_and_resumes(tmp_path):
    x, y = _diabetes()
    model = _linear(kerasreg.ElasticNet(0.1, 0.1), Proximal(keras.optimizers.SGD(0.1)))
    _fit_full_batch(model, x, y, 500)
    path = str(tmp_path / "model.keras")
    model.save(path)
    outputs, losses, _ = load_in_fresh_process(path, x[:4])
    np.testing.assert_allclose(outputs, model.predict(x[:4], verbose=0), atol=1e-6)
    # Resumed in this process: training continues with the proximal step.
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer, Proximal)
    w = _fit_full_batch(loaded, x, y, 500)
    assert np.count_nonzero(w == 0.0) >= 1


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        (
            {"optimizer": 3},
            TypeError,
            "Invalid value for argument `optimizer`. Expected a "
            "keras.optimizers.Optimizer instance or name. Received: optimizer=3",
        ),
        (
            {"optimizer": "sgd", "log_penalty": "yes"},
            TypeError,
            "Invalid value for argument `log_penalty`. Expected a bool. "
            "Received: log_penalty='yes'",
        ),
        (
            {"optimizer": keras.optimizers.SGD(use_ema=True)},
            ValueError,
            "Invalid value for argument `optimizer`. Expected an optimizer with "
            "use_ema=False (its moving average would skip the proximal step). "
            "Received: optimizer=",
        ),
        (
            {"optimizer": keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD())},
            ValueError,
            "Invalid value for argument `optimizer`. Expected an optimizer that is "
            "neither Proximal nor a LossScaleOptimizer (wrap Proximal in the "
            "LossScaleOptimizer instead). Received: optimizer=",
        ),
    ],
    ids=["optimizer", "log_penalty", "use_ema", "loss_scale_inside"],
)
def test_bad_input(kwargs, error, message):
    if message.endswith("optimizer="):
        message += repr(kwargs["optimizer"])
    with pytest.raises(error, match=re.escape(message)):
        Proximal(**kwargs)


@pytest.mark.tensorflow_only  # only TensorFlow's trainer builds inside the trace
def test_late_build_inside_the_trace_warns():
    x, y = _diabetes()
    model = _linear(kerasreg.L1(0.1), Proximal("sgd"))
    with pytest.warns(UserWarning, match=r"model\.optimizer\.build"):
        model.train_on_batch(x, y)


def test_build_before_training_skips_the_penalty_without_warning(recwarn):
    x, y = _diabetes()
    model = _linear(kerasreg.L1(0.1), Proximal("sgd"))
    model.optimizer.build(model.trainable_variables)
    model.train_on_batch(x, y)
    assert not [w for w in recwarn if "Proximal" in str(w.message)]
    assert float(model.losses[0]) == 0.0


def _sgd_step_with_l1_in_the_loss(model, x, y, lr, l1):
    """The kernel after one SGD step whose loss holds mse + l1 · Σ|w|, by hand."""
    w0 = model.layers[0].kernel.numpy()
    b0 = model.layers[0].bias.numpy()
    grad = 2.0 * x.T @ (x @ w0 + b0 - y) / len(x) + l1 * np.sign(w0)
    return w0 - lr * grad


def test_penalty_shared_with_a_plain_model_keeps_its_value_there():
    x, y = _diabetes()
    shared = kerasreg.L1(0.5)
    proximal = _linear(shared, Proximal(keras.optimizers.SGD(0.1)))
    proximal.optimizer.build(proximal.trainable_variables)
    plain = _linear(shared, keras.optimizers.SGD(0.1))
    kernel = plain.layers[0].kernel.numpy()
    np.testing.assert_allclose(
        float(plain.losses[0]), 0.5 * np.abs(kernel).sum(), rtol=1e-6
    )
    expected = _sgd_step_with_l1_in_the_loss(plain, x, y, 0.1, 0.5)
    plain.train_on_batch(x, y)
    np.testing.assert_allclose(plain.layers[0].kernel.numpy(), expected, atol=1e-6)
    # ...while the Proximal model's loss still leaves it out.
    assert float(proximal.losses[0]) == 0.0


def test_recompiled_with_a_plain_optimizer_the_penalty_is_back_in_the_loss():
    x, y = _diabetes()
    model = _linear(kerasreg.L1(0.5), Proximal(keras.optimizers.SGD(0.1)))
    model.optimizer.build(model.trainable_variables)
    model.fit(x, y, batch_size=len(x), epochs=2, verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    kernel = model.layers[0].kernel.numpy()
    np.testing.assert_allclose(
        float(model.losses[0]), 0.5 * np.abs(kernel).sum(), rtol=1e-6
    )
    expected = _sgd_step_with_l1_in_the_loss(model, x, y, 0.1, 0.5)
    model.train_on_batch(x, y)
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), expected, atol=1e-6)


def test_regularizer_called_on_a_tensor_returns_its_value():
    x, y = _diabetes()
    regularizer = kerasreg.ElasticNet(0.5, 0.2)
    model = _linear(regularizer, Proximal(keras.optimizers.SGD(0.1)))
    model.optimizer.build(model.trainable_variables)
    tensor = keras.ops.ones((2, 3))
    # 0.5 · 6 + 0.1 · 6, during and after training.
    assert float(regularizer(tensor)) == pytest.approx(3.6)
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    assert float(regularizer(tensor)) == pytest.approx(3.6)


def test_the_wrapped_optimizer_is_left_as_it_is():
    inner = keras.optimizers.SGD(0.1)
    Proximal(inner)
    assert "update_step" not in vars(inner)


def test_second_proximal_around_one_optimizer_raises_at_construction():
    inner = keras.optimizers.SGD(0.1)
    Proximal(inner)
    message = (
        "Invalid value for argument `optimizer`. Expected an optimizer instance "
        "that no other Proximal wraps (create a new optimizer for each Proximal, "
        f"as for each model). Received: optimizer={inner!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        Proximal(inner)


@pytest.mark.tensorflow_only  # TensorFlow's trainer traces again for a new shape
def test_step_traced_after_fit_returned_is_exact_and_warns():
    x, y = _diabetes()
    lr, l1 = 0.1, 0.05
    model = _linear(kerasreg.L1(l1), Proximal(keras.optimizers.SGD(lr)))
    model.optimizer.build(model.trainable_variables)
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    # A batch of a new size: a new trace, after `fit` gave the penalty back.
    x, y = x[:100], y[:100]
    w0 = model.layers[0].kernel.numpy()
    b0 = model.layers[0].bias.numpy()
    grad = 2.0 * x.T @ (x @ w0 + b0 - y) / len(x)
    expected = functional.soft_threshold(w0 - lr * grad, lr * l1)
    with pytest.warns(UserWarning, match=r"traced again after `fit` returned"):
        model.train_on_batch(x, y)
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), expected, atol=1e-6)


def test_gradient_accumulation_thresholds_on_update_steps_only():
    inner = keras.optimizers.SGD(0.1, gradient_accumulation_steps=2)
    optimizer = Proximal(inner)
    w = keras.Variable(np.array([0.3, -0.3, 0.02], "float32"))
    w.regularizer = kerasreg.L1(1.0)
    optimizer.build([w])
    zeros = np.zeros(3, "float32")
    optimizer.apply([zeros], [w])  # accumulates only: no step, no threshold
    np.testing.assert_allclose(w.numpy(), [0.3, -0.3, 0.02], atol=1e-7)
    optimizer.apply([zeros], [w])  # the update: threshold 0.1
    np.testing.assert_allclose(w.numpy(), [0.2, -0.2, 0.0], atol=1e-7)
