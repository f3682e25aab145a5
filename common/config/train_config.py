"""Training hyper-parameters and run settings: one frozen `TrainConfig` beside ModelConfig.

Defaults are the paper's run scripts (docs/decisions.md §3; docs/design.md §6-8 for the schedules); the
batch's follows from the model and the replicas (common/config/named_configs.py, the batch rule), the run
directory's is runs/<variant>. Every field is the flag --<field name> of main.py (common/config/cli.py).
Fields marked `shapes` change what a run computes: flags.json records them and a resumed run may change them
only with --allow_changes.
"""
from __future__ import annotations

import dataclasses

from common.config.flags import field, flag_fields
from common.config.recipes import RECIPES

# --mixed_precision: the compute dtype of training (variables and optimizer state stay float32)
PRECISIONS = ("float32", "bfloat16", "float16")
KERNEL_FORMS = ("auto", "tuned", "native")  # common/nn/conv_kernels.py
CPU_OP_THREADS = ("all", "one", "auto")  # common/system/cpu_threads.py


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    # ---- what the run computes --------------------------------------------------------------------
    recipe: str = field("paper", "named flag defaults (common/config/recipes.py): paper, or quick (not the paper's: "
                                 "quarter width, L1 + STFT loss, minutes on a CPU); flags given explicitly win",
                        choices=tuple(RECIPES), shapes=True, older_runs="paper")
    batch_size: int | None = field(None, "windows per replica (GPU) per batch (default: the paper's windows per "
                                         "iteration for the model, SEGAN 100, SASEGAN 50, ISEGAN and DSEGAN 100, "
                                         "split evenly over the replicas)", type=int, shapes=True)
    epoch: int = field(100, "epochs", shapes=True)
    max_steps: int | None = field(None, "stop after this many iterations (demos)", type=int, shapes=True)
    preemph: float = field(0.95, "pre-emphasis coefficient of the training windows (and of test mode)",
                           shapes=True)
    init_noise_std: float = field(0.0, "std of the noise added to D's input", shapes=True)
    noise_decay: float = field(0.7, "factor of D's input-noise std per epoch from --denoise_epoch", shapes=True)
    denoise_epoch: int = field(5, "epoch from which D's input noise decays", shapes=True)
    denoise_lbound: float = field(0.01, "D's input noise is switched off below this std", shapes=True)
    init_l1_weight: float = field(100.0, "weight of G's L1 term", shapes=True)
    l1_remove_epoch: int = field(150, "epoch from which the L1 weight is 0", shapes=True)
    adv_weight: float = field(1.0, "weight of G's adversarial term (1 = the paper; 0 = L1-only generator "
                                   "training)", shapes=True)
    adv_start: int = field(0, "iteration from which G's adversarial term and D's training start; before it G "
                              "learns from L1 alone (0: from the first, the paper)", shapes=True, older_runs=0)
    stft_weight: float = field(0.0, "weight of a multi-resolution STFT loss on each stage, added to G's loss (not the "
                                    "paper's; 0: off, the paper)", shapes=True, older_runs=0.0)
    g_learning_rate: float = field(2e-4, "G's RMSProp learning rate", shapes=True)
    d_learning_rate: float = field(2e-4, "D's RMSProp learning rate", shapes=True)
    lr_decay: float = field(0.0, "over this last fraction of the iterations both learning rates fall linearly "
                                 "to 0 (0: constant, the paper)", shapes=True, older_runs=0.0)
    mixed_precision: str = field("float32", "compute dtype of training: float32 (the paper), bfloat16 or float16 "
                                            "(Keras mixed precision, not the paper's: variables, optimizer state, "
                                            "spectral norm, VBN statistics, the attention softmax and the losses stay "
                                            "float32; float16 with dynamic loss scaling)", choices=PRECISIONS,
                                 shapes=True, older_runs="float32")
    xla: bool = field(False, "compile the training step's forward and backward passes and test mode's generator "
                             "calls with XLA (not the paper's; the same results within float32 rounding)")
    kernels: str = field("auto", "the layers' kernel forms (common/nn/conv_kernels.py): tuned (fastest on CPU), native "
                                 "(TensorFlow's own conv ops and gradients, as on cuDNN) or auto (tuned without a GPU, "
                                 "native with one); the same results within float32 rounding", choices=KERNEL_FORMS)
    cpu_op_threads: str = field("all", "TensorFlow's CPU ops: all (its default: each op split over every core), one "
                                       "(each op on one core, as many ops at once as there are cores: 1.1x faster for "
                                       "the quick recipe's narrow layers on 2 cores, 4%% slower at full width; "
                                       "docs/speed.md) or auto (one on up to 2 cores, where it was measured, else "
                                       "all); the same results within float32 rounding", choices=CPU_OP_THREADS)
    shuffle_buffer: int = field(1000, "windows in the shuffle buffer", shapes=True)
    seed: int | None = field(None, "seed the initial weights, data order and z (default: unseeded); in test "
                                   "mode, the z of the enhancement", type=int, shapes=True)
    # ---- where the run lives and how often it reports -------------------------------------------------
    e2e_dataset: str = field("data/segan.tfrecords", "training TFRecords (file, shards, glob)")
    save_path: str = field("runs/segan", "run directory (checkpoints, logs, flags)")
    save_freq: int = field(50, "checkpoint every N iterations")
    keep_checkpoints: int = field(5, "checkpoints kept")
    log_freq: int = field(10, "TensorBoard scalars every N iterations")
    allow_changes: bool = field(False, "resume although run-shaping flags differ from the run's flags.json "
                                       "(the change is recorded there)")
    valid_wav_dir: str | None = field(None, "validation (not the paper's; off by default): pairs DIR/clean/*.wav, "
                                            "DIR/noisy/*.wav (same names, 16 kHz mono) scored with PESQ and STOI "
                                            "to TensorBoard; the best checkpoint (PESQ) is kept in RUN/best/",
                                      type=str)
    valid_every: int = field(1, "validate every K checkpoints (and at the end)")

    def __post_init__(self):
        """The ranges outside which a value would make a run silently wrong (NaN fails every comparison)."""
        def need(ok: bool, name: str, rule: str) -> None:
            if not ok:
                raise FieldError(name, f"must be {rule}, got {getattr(self, name)!r}")

        for name in ("epoch", "save_freq", "keep_checkpoints", "log_freq", "valid_every"):
            need(getattr(self, name) >= 1, name, "positive")
        for name in ("batch_size", "max_steps"):
            need(getattr(self, name) is None or getattr(self, name) >= 1, name, "positive")
        for name in ("g_learning_rate", "d_learning_rate"):
            need(getattr(self, name) > 0, name, "positive")
        for name in ("init_noise_std", "denoise_lbound", "denoise_epoch", "init_l1_weight", "l1_remove_epoch",
                     "adv_weight", "adv_start", "stft_weight",
                     "shuffle_buffer"):  # shuffle_buffer 0: the records' order (common/audio/tfdata.py)
            need(getattr(self, name) >= 0, name, "non-negative")
        need(0 <= self.preemph < 1, "preemph", "in [0, 1)")  # from 1 on, de-emphasis diverges
        need(0 <= self.noise_decay <= 1, "noise_decay", "in [0, 1]")
        need(0 <= self.lr_decay <= 1, "lr_decay", "in [0, 1]")
        for f in flag_fields(TrainConfig):
            if "choices" in f.metadata:
                choices = f.metadata["choices"]
                need(getattr(self, f.name) in choices, f.name, f"one of {', '.join(choices)}")


class FieldError(ValueError):
    """A TrainConfig value out of its range, naming the field: the flag --<field> or the key in flags.json."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"--{field}: {problem}")
        self.field, self.problem = field, problem


# The fields that shape a run, and the values of runs recorded before some of them existed.
RUN_SHAPING = tuple(f.name for f in flag_fields(TrainConfig) if f.metadata.get("shapes"))
OLDER_RUNS = {f.name: f.metadata["older_runs"] for f in flag_fields(TrainConfig) if "older_runs" in f.metadata}
