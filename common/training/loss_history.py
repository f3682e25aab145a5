"""The per-iteration loss history of a run (RUN/losses.csv)."""
from __future__ import annotations

import csv
import os


class LossHistory:
    """Per-iteration losses in a CSV file beside the checkpoints; on resume, rows up to `start` are kept.
    Columns that appear later (D's, when a run resumed with --allow_changes turns the adversarial term on)
    widen the file; a row without a value leaves its cell empty."""

    def __init__(self, path: str, start: int):
        self.path, self.rows, self.columns = path, [], []
        if os.path.exists(path):
            with open(path, newline="") as f:
                self.columns = next(csv.reader(f), ["iteration"])[1:]
            self._rewrite(keep=start)

    def _rewrite(self, keep: int | None = None) -> None:
        rows = []
        if os.path.exists(self.path):
            with open(self.path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if keep is None or int(r["iteration"]) <= keep]
        with open(self.path, "w", newline="") as f:
            out = csv.DictWriter(f, ["iteration", *self.columns], restval="", extrasaction="ignore")
            out.writeheader()
            out.writerows(rows)

    def append(self, iteration: int, values: dict) -> None:
        if set(values) - set(self.columns):
            self.flush()
            self.columns = sorted(set(self.columns) | set(values))
            self._rewrite()
        self.rows.append({"iteration": iteration, **{k: f"{v:.6g}" for k, v in values.items()}})

    def flush(self) -> None:
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, ["iteration", *self.columns], restval="").writerows(self.rows)
        self.rows = []
