"""Training: the distributed D/G steps, validation, the loss history and a run's training loop."""
