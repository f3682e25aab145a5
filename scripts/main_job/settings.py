"""The main job's settings: the steps, the research parameters of its command line and the infrastructure of the
environment (scripts/pipeline.py documents both), checked before any work."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re

from common.config.named_configs import PAPER_CONFIGS

STEPS = ("check", "records", "train", "enhance", "score", "plots", "report", "summary")
PER_RUN = ("train", "enhance", "score", "plots", "report")
ABLATION_CONFIG, ABLATION_PREFIX = "SASEGAN", "SASEGAN-L"


class Stop(Exception):
    """Ends the pipeline with `status` (after an `error:` line when `message` is given)."""

    def __init__(self, status: int, message: str | None = None):
        super().__init__(message)
        self.status, self.message = status, message


def error(message: str, status: int = 2) -> Stop:
    return Stop(status, message)


# ---------------------------------------------------------------------------------------------- the settings

@dataclasses.dataclass
class Settings:
    """What a pipeline does: the research parameters (command line) and the infrastructure (environment)."""
    configs: list[str]
    mode: str = "runs"  # runs, paper or ablation
    layers: list[str] = dataclasses.field(default_factory=list)  # --ablation
    gpus: str = "0"
    att_layer: str = ""
    batch_size: str = ""
    epochs: str = ""
    data_dir: str = ""  # empty: data/ of the repository, not given
    run_dir: str = ""
    demo: str = ""
    quick: bool = False
    xla: bool = False
    precision: str = "float32"
    workers: str = ""
    task: str = "0"
    seeds: str = ""
    extra_flags: str = ""
    steps: tuple[str, ...] = STEPS
    dry_run: bool = False


def parse_steps(text: str, source: str) -> tuple[str, ...]:
    names = [n for n in re.split(r"[\s,]+", text) if n]
    unknown = [n for n in names if n not in STEPS]
    if unknown or not names:
        raise error(f"{source}: " + (f"unknown step '{unknown[0]}'" if unknown else "no step named")
                    + f"; the steps are {', '.join(STEPS)}")
    return tuple(n for n in STEPS if n in names)


def parse_args(argv=None, environ=None, description: str | None = None) -> Settings:
    """The settings of a pipeline command line; `description`: its --help text (scripts/pipeline.py's)."""
    env = os.environ if environ is None else environ
    p = argparse.ArgumentParser(prog="scripts/pipeline.py", description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("configs", nargs="*", metavar="NAME", help="named configurations (--paper: default the grid)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--paper", action="store_true", help="the paper's grid: each configuration on the paper's "
                      "number of GPUS, a scored run skipped; summary: the table and the grid page")
    mode.add_argument("--ablation", metavar="LAYERS", help=f"{ABLATION_CONFIG} with attention at each encoder index "
                      f"of LAYERS (e.g. \"0 1 2\"), runs {ABLATION_PREFIX}<k>; summary: the plot")
    p.add_argument("--gpus", default=env.get("GPUS", "0"), help="CUDA_VISIBLE_DEVICES of training; the tests use "
                   "the first (default: GPUS, else 0)")
    p.add_argument("--att_layer", default=env.get("ATT_LAYER", ""), help="--att_layer_ind (empty: the paper's)")
    p.add_argument("--batch_size", default=env.get("BATCH_SIZE", ""), help="windows per GPU (empty: the batch rule)")
    p.add_argument("--epochs", default=env.get("EPOCHS", ""), help="--epoch (empty: the paper's)")
    p.add_argument("--data_dir", default=env.get("DATA_DIR", ""), help="the corpus (empty: data/ or the demo)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--steps", help=f"the steps to run, of {', '.join(STEPS)} (default: STEPS, else all)")
    which.add_argument("--from", dest="start", metavar="STEP", help="run STEP and the steps after it")
    p.add_argument("--dry_run", action="store_true", help="print the commands instead of running them")
    a = p.parse_args(argv)
    if a.ablation is not None and a.configs:
        p.error(f"--ablation trains {ABLATION_CONFIG} only: give no NAME")
    if not a.configs and not a.paper and a.ablation is None:
        p.error("give a configuration NAME, --paper or --ablation")
    if a.steps is not None:
        steps = parse_steps(a.steps, f"--steps {a.steps}")
    elif a.start is not None:
        start = parse_steps(a.start, f"--from {a.start}")[0]  # an unknown name: the same error as --steps
        steps = STEPS[STEPS.index(start):]
    elif env.get("STEPS", "").strip():
        steps = parse_steps(env["STEPS"], f"STEPS=\"{env['STEPS']}\"")
    else:
        steps = STEPS
    layers = []
    if a.ablation is not None:
        layers = [k for k in re.split(r"[\s,]+", a.ablation) if k]
        bad = [k for k in layers if not re.fullmatch(r"[0-9]+", k)]
        if bad or not layers:
            raise error(f"--ablation \"{a.ablation}\": give encoder indices, e.g. \"0 1 2\"")
    return Settings(
        configs=list(a.configs) or (list(PAPER_CONFIGS) if a.paper else []),
        mode="paper" if a.paper else "ablation" if a.ablation is not None else "runs", layers=layers,
        gpus=a.gpus, att_layer=a.att_layer, batch_size=a.batch_size, epochs=a.epochs, data_dir=a.data_dir,
        run_dir=env.get("RUN_DIR", ""), demo=env.get("DEMO", ""), quick=env.get("QUICK", "0") == "1",
        xla=env.get("XLA", "0") == "1", precision=env.get("PRECISION", "") or "float32",
        workers=env.get("WORKERS", ""), task=env.get("TASK", "") or "0", seeds=env.get("SEEDS", ""),
        extra_flags=env.get("EXTRA_FLAGS", ""), steps=steps, dry_run=a.dry_run)


def check_seeds(seeds: str, extra_flags: str) -> list[int]:
    """SEEDS as integers: distinct non-negative integers, and then no --seed in EXTRA_FLAGS."""
    found = []
    for word in seeds.split():
        if not re.fullmatch(r"[0-9]+", word):
            raise error(f"SEEDS=\"{seeds}\": '{word}' is not a non-negative integer")
        if int(word) in found:
            raise error(f"SEEDS=\"{seeds}\": seed {word} is given twice")
        found.append(int(word))
    if found and any(w == "--seed" or w.startswith("--seed=") for w in extra_flags.split()):
        raise error(f"EXTRA_FLAGS gives --seed and SEEDS=\"{seeds}\" gives the seeds: use one of them")
    return found


def tf_config(workers: str, task: str) -> str:
    """TF_CONFIG of this server in the cluster WORKERS (host:port,host:port,…; the chief first)."""
    hosts = [h.strip() for h in workers.split(",") if h.strip()]
    if not re.fullmatch(r"[0-9]+", task) or int(task) >= len(hosts):
        raise error(f"TASK={task}: give this server's index in WORKERS, 0 to {len(hosts) - 1}")
    return json.dumps({"cluster": {"worker": hosts}, "task": {"type": "worker", "index": int(task)}})
