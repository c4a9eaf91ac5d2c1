"""Optimizer wrappers that apply kerasreg penalties inside the update."""

from kerasreg.optimizers.proximal import Proximal

__all__ = ["Proximal"]
