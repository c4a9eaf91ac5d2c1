"""TensorFlow fast path: the warp kernel compiled with XLA.

Outside a `jit_compile=True` model (eagerly, in a plain `tf.function`, or in a
`tf.data` map) TensorFlow runs the gather-based kernel op by op; compiled
with XLA the same kernel fuses into one loop over the output pixels, several
times faster. Inside an XLA-compiled model the call is simply inlined.
"""

import functools

import tensorflow as tf

from kerasreg import _keras_private
from kerasreg.augmentation import functional

# TensorFlow's ops: `keras.ops` on TensorFlow, the same ops from Keras'
# TensorFlow backend in a tf.data map under another backend.
warp = tf.function(
    functools.partial(functional.warp, ops=_keras_private.backend_ops("tensorflow")),
    jit_compile=True,
    autograph=False,
)
