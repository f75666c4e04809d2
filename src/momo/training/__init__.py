"""Training loop and checkpoints for momo models."""
