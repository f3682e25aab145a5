#!/usr/bin/env python3
"""How long a checkpoint save takes at full size: what a graceful stop (SIGTERM: the iteration under way,
then a save) needs within a scheduler's grace period (often 30 s). Saves each configuration's complete
training state (G, D, RMSProp slots, schedules) the way a run does, into --dir (default: a temporary folder
in the current one; give a folder on the storage the runs will use, since its speed decides), and prints the
best and worst of --repeats saves, the size and the write rate.

    python scripts/bench/save.py [--configs ISEGAN-SA-2 DSEGAN-4] [--dir runs] [--repeats 3]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

from common.system.tf_quietly import tf  # first: TensorFlow without its start-up noise

from common.config.named_configs import named_config
from common.config.train_config import TrainConfig
from common.training.trainer import Trainer


def save_seconds(name: str, folder: str, repeats: int) -> tuple[list[float], int]:
    """Seconds of each of `repeats` saves of a fresh full-size trainer of configuration `name`, and the bytes
    of one checkpoint."""
    trainer = Trainer(named_config(name), TrainConfig())
    manager = tf.train.CheckpointManager(trainer.checkpoint, folder, max_to_keep=1)
    seconds = []
    for i in range(repeats):
        start = time.perf_counter()
        path = manager.save(checkpoint_number=i)
        seconds.append(time.perf_counter() - start)
    size = sum(os.path.getsize(f) for f in tf.io.gfile.glob(path + ".*"))
    return seconds, size


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", nargs="+", default=["ISEGAN-SA-2", "DSEGAN-4"])
    p.add_argument("--dir", default=".", help="where the checkpoints are written (a temporary folder in it)")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args(argv)
    for name in a.configs:
        folder = tempfile.mkdtemp(prefix="save_bench_", dir=a.dir)
        try:
            seconds, size = save_seconds(name, folder, a.repeats)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"{name}: checkpoint {size / 1e9:.2f} GB saved in {min(seconds):.1f}-{max(seconds):.1f} s "
              f"({size / 1e6 / min(seconds):.0f} MB/s at best) into {os.path.abspath(a.dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
