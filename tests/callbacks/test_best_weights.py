"""The copy of a model's best weights: `DeviceCopy`, `HostCopy` and the choice."""

import keras
import numpy as np
import pytest

from kerasreg.callbacks._best_weights import DeviceCopy, HostCopy, best_weights_copy
from tests.callbacks._support import tiny_model


class _OwnWeights(keras.Sequential):
    """A model with its own get_weights (as a user subclass might have)."""

    def get_weights(self):
        return super().get_weights()


def _shift(model, by):
    model.set_weights([w + by for w in model.get_weights()])


def test_a_keras_model_gets_a_device_copy_and_an_overriding_model_a_host_copy():
    assert isinstance(best_weights_copy(tiny_model()), DeviceCopy)
    model = _OwnWeights(tiny_model().layers)
    assert isinstance(best_weights_copy(model), HostCopy)


@pytest.mark.parametrize("copy_type", [DeviceCopy, HostCopy], ids=lambda t: t.__name__)
def test_capture_then_restore_brings_back_the_captured_weights(copy_type):
    model = tiny_model()
    copy = copy_type(model)
    assert copy.empty and copy.value is None
    captured = [np.array(w) for w in model.get_weights()]
    copy.capture()
    _shift(model, 1.0)
    # The copy is its own buffer: training on does not change it.
    np.testing.assert_array_equal(copy.to_numpy()[0], captured[0])
    np.testing.assert_array_equal(copy.current_numpy()[0], captured[0] + 1.0)
    copy.restore()
    for now, then in zip(model.get_weights(), captured, strict=True):
        np.testing.assert_array_equal(now, then)
    assert not copy.empty


@pytest.mark.parametrize("copy_type", [DeviceCopy, HostCopy], ids=lambda t: t.__name__)
def test_weights_written_by_hand_are_what_restore_sets(copy_type):
    model = tiny_model()
    copy = copy_type(model)
    copy.capture()
    written = [np.full_like(w, 0.25) for w in model.get_weights()]
    copy.write(written)
    assert copy.value is written
    copy.restore()
    for now in model.get_weights():
        np.testing.assert_array_equal(now, 0.25)


def test_device_copy_forgets_its_weights_when_none_is_written():
    copy = DeviceCopy(tiny_model())
    copy.capture()
    copy.write(None)
    assert copy.empty and copy.value is None


@pytest.mark.parametrize("copy_type", [DeviceCopy, HostCopy], ids=lambda t: t.__name__)
def test_load_numpy_refuses_another_models_weights(copy_type):
    model = tiny_model()
    arrays = model.get_weights()
    copy = copy_type(model)
    with pytest.raises(ValueError, match=r"hold 3 arrays, but the model has 4"):
        copy.load_numpy(arrays[:3], "best.npz")
    copy.load_numpy(arrays, "best.npz")
    np.testing.assert_array_equal(copy.to_numpy()[1], arrays[1])


def test_device_copy_refuses_weights_of_another_shape():
    model = tiny_model()
    arrays = [np.zeros((5, 8), "float32"), *model.get_weights()[1:]]
    with pytest.raises(ValueError, match=r"the shape \(5, 8\), but the model's"):
        DeviceCopy(model).load_numpy(arrays, "best.npz")
