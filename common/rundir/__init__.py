"""The run directory, the one record of a run: its layout and lock, flags.json, its checkpoints, and its
trained chain."""
