"""kerasreg.distribute is TensorFlow's; other backends get a clear error."""

import keras
import pytest

import kerasreg.distribute


@pytest.mark.skipif(
    keras.backend.backend() == "tensorflow",
    reason="the TensorFlow case is test_multi_worker.py",
)
def test_other_backends_get_a_clear_error():
    backend = keras.backend.backend()
    with pytest.raises(RuntimeError, match="needs the TensorFlow backend") as info:
        kerasreg.distribute.multi_worker_mirrored_strategy()
    assert repr(backend) in str(info.value)
