"""Callbacks: EarlyStopping with Prechelt's criteria, and an atomic BackupAndRestore."""

from kerasreg.callbacks import criteria
from kerasreg.callbacks.backup_and_restore import BackupAndRestore
from kerasreg.callbacks.early_stopping import EarlyStopping

__all__ = ["BackupAndRestore", "EarlyStopping", "criteria"]
