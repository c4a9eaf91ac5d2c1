"""Keras' own `backup_and_restore_test` run against kerasreg's BackupAndRestore."""

from kerasreg.callbacks import BackupAndRestore
from tests.keras_compat._harness import keras_test_classes

_WORDING = "asserts Keras' exact error wording ('Empty `backup_dir` argument passed')"

globals().update(
    keras_test_classes(
        "keras.src.callbacks.backup_and_restore_test",
        {"keras.src.callbacks": {"BackupAndRestore": BackupAndRestore}},
        skip={
            "test_backup_dir_empty_error": _WORDING,
            "test_backup_dir_none_error": _WORDING,
        },
    )
)
