"""keras-io recipes with kerasreg's layers in place of Keras' own.

keras-io's EfficientNet fine-tuning recipe ("Image classification via
fine-tuning with EfficientNet") freezes the model, then unfreezes its top 20
layers except batch normalization, recognized by
`isinstance(layer, layers.BatchNormalization)`. With kerasreg's layers in the
head, the same loop must leave the same weights trainable. The recipe's
EfficientNetB0 is replaced by a small MobileNet (no pretrained weights) so
that the test runs in seconds; the head and the loop are the recipe's.
"""

import keras
import numpy as np
import pytest

import kerasreg.layers

SIZE = 32
CLASSES = 3


def _recipe_model(batch_norm, dropout):
    """The recipe's model, small and untrained: a MobileNet base on 32x32
    images, then pooling, BN, dropout and a softmax head."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    base = keras.applications.MobileNet(
        include_top=False, weights=None, input_tensor=inputs, alpha=0.25
    )
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(base.output)
    x = batch_norm()(x)
    x = dropout(0.2, name="top_dropout")(x)
    outputs = keras.layers.Dense(CLASSES, activation="softmax", name="pred")(x)
    return keras.Model(inputs, outputs)


def _unfreeze(model):
    # The recipe's loop, word for word but for the module name.
    for layer in model.layers[-20:]:
        if not isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = True


def _fine_tuning(batch_norm, dropout):
    model = _recipe_model(batch_norm, dropout)
    # The recipe freezes the pretrained base; here every layer, the head
    # included, so that the loop's test decides for kerasreg's BN as well.
    for layer in model.layers:
        layer.trainable = False
    _unfreeze(model)
    return model


@pytest.fixture(scope="module")
def models():
    """The recipe's model with Keras' layers, and with kerasreg's in the head
    fine-tuned for one step."""
    ours = _fine_tuning(kerasreg.layers.BatchNormalization, kerasreg.layers.Dropout)
    ours.compile(
        optimizer=keras.optimizers.Adam(1e-4),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(8, SIZE, SIZE, 3)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, CLASSES, 8), CLASSES)
    ours.fit(x, y, batch_size=8, epochs=1, verbose=0)
    keras_model = _fine_tuning(keras.layers.BatchNormalization, keras.layers.Dropout)
    return {"keras": keras_model, "kerasreg": ours}


def _count(weights):
    return len(weights), sum(int(np.prod(w.shape)) for w in weights)


def test_fine_tuning_trains_the_weights_it_trains_with_keras_layers(models):
    keras_model, ours = models["keras"], models["kerasreg"]
    assert _count(ours.trainable_weights) == _count(keras_model.trainable_weights)
    assert _count(ours.non_trainable_weights) == _count(
        keras_model.non_trainable_weights
    )
    # The head's BN stays frozen: inference mode, its statistics untouched.
    head = [
        layer
        for layer in ours.layers
        if isinstance(layer, kerasreg.layers.BatchNormalization)
    ]
    assert len(head) == 1 and not head[0].trainable
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(head[0].moving_mean), np.zeros(256)
    )


def test_layer_filters_see_the_keras_classes(models):
    # Pruning, quantization and BN-folding tools pick layers by Keras' classes.
    def kinds(model):
        return [
            kind.__name__
            for layer in model.layers
            for kind in (keras.layers.BatchNormalization, keras.layers.Dropout)
            if isinstance(layer, kind)
        ]

    assert kinds(models["kerasreg"]) == kinds(models["keras"])
