"""Experiments: studies of which regularization helps a model."""
