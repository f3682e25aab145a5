"""The one table of named configurations: SEGAN, SASEGAN (SEGAN + attention in G and D), ISEGAN-N,
ISEGAN-SA-N, DSEGAN-N, DSEGAN-SA-N (N >= 1): their model, their `main.py` flags, and how the paper's run
scripts train them. main.py's `--config NAME`, the run scripts, the benchmarks, the tests and the paper table
all read it; a run is named by the configuration its flags.json records (`name_of`)."""
from __future__ import annotations

import re

from common.config import variants
from common.config.model_config import ModelConfig

_NAME = re.compile(r"^(SEGAN|SASEGAN|ISEGAN|ISEGAN-SA|DSEGAN|DSEGAN-SA)(?:-(\d+))?$")

# The configurations the paper's tables compare (in table order).
PAPER_CONFIGS = ("SEGAN", "SASEGAN",
                 "ISEGAN-2", "ISEGAN-3", "ISEGAN-4", "ISEGAN-SA-2", "ISEGAN-SA-3", "ISEGAN-SA-4",
                 "DSEGAN-2", "DSEGAN-3", "DSEGAN-4", "DSEGAN-SA-2", "DSEGAN-SA-3", "DSEGAN-SA-4")

# The paper's run scripts: (GPUs, windows per iteration): SEGAN 1 GPU x 100, SASEGAN's run.sh 1 GPU x 50, the
# multi-stage models 2 GPUs x 50. The one batch rule: training splits the windows evenly over its replicas, on any
# number of GPUs, unless --batch_size (windows per replica) is given.
PAPER_RUNS = {"SEGAN": (1, 100), "SASEGAN": (1, 50), "ISEGAN": (2, 100), "DSEGAN": (2, 100)}


def _parse(name: str) -> tuple[str, int | None]:
    match = _NAME.match(name.upper())
    family, n = match.groups() if match else (None, None)
    single = family in ("SEGAN", "SASEGAN")
    if match is None or single == (n is not None) or (n is not None and int(n) < 1):
        raise ValueError(f"unknown configuration {name!r}; expected SEGAN, SASEGAN, ISEGAN-N, "
                         f"ISEGAN-SA-N, DSEGAN-N or DSEGAN-SA-N with N >= 1")
    return family, None if n is None else int(n)


def named_config(name: str, **overrides) -> ModelConfig:
    """The model of a named configuration, optionally with field overrides."""
    family, n = _parse(name)
    fields = dict(variant="segan" if n is None else family.split("-")[0].lower(), stages=n or 1,
                  self_attention=family == "SASEGAN" or family.endswith("-SA"), d_attention=family == "SASEGAN")
    fields.update(overrides)
    return ModelConfig(**fields)


def tiny(name: str | None = None, **overrides) -> ModelConfig:
    """A small model through the same code path: 512-sample canvas, 5 layers of 8-32 channels,
    attention site at layer 2 (decoder index 1), kernel width still 31. `name` selects a named
    configuration to shrink (default: plain fields)."""
    fields = dict(canvas_size=512, g_enc_depths=(8, 8, 16, 16, 32), d_num_fmaps=(8, 8, 16, 16, 32),
                  att_layer_ind=(2,))
    fields.update(overrides)
    return named_config(name, **fields) if name else ModelConfig(**fields)


def name_of(cfg: ModelConfig) -> str:
    """The named configuration a model is (whatever its widths, canvas or attention layer); a model that is
    none of them (e.g. attention in D only, or in some DSEGAN generators) gets a description instead."""
    if cfg.variant == "segan":
        name = "SASEGAN" if cfg.d_attention else "SEGAN"
    else:
        name = f"{cfg.variant.upper()}{'-SA' if cfg.self_attention else ''}-{cfg.stages}"
    named = named_config(name)
    if (cfg.self_attention, cfg.d_attention, cfg.att_generators) == \
            (named.self_attention, named.d_attention, named.att_generators):
        return name
    return (f"{cfg.variant}, {cfg.stages} stage(s), self_attention {cfg.self_attention}, "
            f"d_attention {cfg.d_attention}, att_generators {cfg.att_generators}")


def paper_windows(cfg: ModelConfig) -> int:
    """Windows per iteration in the paper's run scripts for a model: its named configuration's, or for a model
    that is none of them, its variant's."""
    name = name_of(cfg)
    return PAPER_RUNS[name.split("-")[0] if _NAME.match(name) else cfg.variant.upper()][1]


def paper_gpus(name: str) -> int:
    """The GPUs the paper's run script trained a named configuration on."""
    return PAPER_RUNS[_parse(name)[0].split("-")[0]][0]


def batch_per_replica(cfg: ModelConfig, replicas: int) -> int:
    """The batch rule: the paper's windows per iteration for the model, split evenly over `replicas`."""
    windows = paper_windows(cfg)
    if windows % replicas:
        raise ValueError(f"the paper's {windows} windows per iteration of {name_of(cfg)} do not split evenly over "
                         f"{replicas} replicas: give --batch_size (windows per replica)")
    return windows // replicas


def main_argv(name: str, att_layer_ind: int | None = None) -> tuple[str, list[str]]:
    """(variant, the flags of its main.py) of a named configuration; `att_layer_ind` places the attention blocks of
    a configuration that has them (default: the flag's default)."""
    cfg = named_config(name)
    att = ["--att_layer_ind", str(att_layer_ind)] if att_layer_ind is not None and cfg.self_attention else []
    return cfg.variant, ["--config", name, *att]


def config_defaults(name: str, variant: str) -> dict:
    """main.py's flag defaults for `--config NAME` (its model: stages and attention) under `variant`'s main.py."""
    cfg = named_config(name)
    if cfg.variant != variant:
        raise ValueError(f"--config {name} is a {cfg.variant} configuration: run {cfg.variant}/main.py")
    stages = {"stages": cfg.stages} if variants.spec(variant).STAGE_FLAG else {}
    return {**stages, "self_attention": cfg.self_attention, "d_attention": cfg.d_attention}
