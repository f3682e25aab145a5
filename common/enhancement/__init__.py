"""Enhancement: test files through a chain of generators, window by window, and a run's checkpoints over a test set."""
