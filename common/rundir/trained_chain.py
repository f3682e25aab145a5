"""A run's trained generator chain, built from its flags.json, for test mode, scripts/enhance.py, the
plots and scripts/dev/reference_io.py."""
from __future__ import annotations

import dataclasses
import os

from common.config.command import Command
from common.config.model_config import ModelConfig
from common.models.build import build_models
from common.models.checkpoint_match import restore_exactly
from common.nn import conv_kernels
from common.rundir.checkpoint_files import resolve
from common.rundir.flags_file import given_model_differences, load_flags
from common.rundir.layout import FLAGS_FILE
from common.rundir.run_record import model_config, preemph
from common.system.errors import FlagsMismatch, RunDirError


@dataclasses.dataclass
class TrainedChain:
    chain: object
    cfg: ModelConfig
    flags: dict
    run_dir: str
    path: str = ""

    @property
    def preemph(self) -> float:
        return preemph(self.flags)

    def read(self, weights: str = "latest") -> None:
        """Load another checkpoint of the run into the same chain (built and traced once)."""
        path = resolve(self.run_dir, weights)
        try:
            restore_exactly(path, {"chain": self.chain})
        except ValueError as e:  # CheckpointMismatch, or TensorFlow's: a value of another shape
            raise RunDirError(f"{path} does not hold the generator weights of the model in "
                              f"{os.path.join(self.run_dir, FLAGS_FILE)}: {str(e).splitlines()[0][:300]}") from None
        self.path = path


def load_chain(run_dir: str, weights: str = "latest", command: Command | None = None,
               kernels: str = "auto") -> TrainedChain:
    """The GeneratorChain of a run, built from its flags.json, with a checkpoint's weights. `command`: test
    mode's, whose model flags and --preemph named on its command line must agree with the run's. `kernels`: a
    --kernels value, the layers' forms (common/nn/conv_kernels.py)."""
    saved = load_flags(run_dir)
    if command is not None and (diff := given_model_differences(saved, command)):
        raise FlagsMismatch(f"the flags do not match the run in {run_dir} (leave the model flags out: "
                            f"they are read from its {FLAGS_FILE}):\n  " + "\n  ".join(diff))
    cfg = model_config(saved)
    trained = TrainedChain(build_models(cfg, kernels=conv_kernels.resolve(kernels))[0], cfg, saved, run_dir)
    trained.read(weights)
    return trained
