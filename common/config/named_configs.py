"""The named configurations: the families of each variant's entry (common/config/variants.py), NAME for a
one-stage variant and NAME-N (N >= 1 stages) otherwise: SEGAN, SASEGAN (SEGAN + attention in G and D), ISEGAN-N,
ISEGAN-SA-N, DSEGAN-N, DSEGAN-SA-N, and those of any registered variant. Their model, their `main.py` flags, and how
the paper's run scripts train them. main.py's `--config NAME`, the run scripts, the benchmarks, the tests and the paper
table all read them; a run is named by the configuration its flags.json records (`name_of`). A new variant adds
its configurations by its entry in the variants' table, nothing here."""
from __future__ import annotations

import re

from common.config import variants
from common.config.model_config import ModelConfig
from common.config.variants import Family, Variant


def _configs(entries) -> tuple[str, ...]:
    return tuple(v.config_name(f, n) for v in entries for f in v.families for n in v.paper_stages)


# The configurations the paper's tables compare (in table order): the shipped variants' paper_stages.
PAPER_CONFIGS = _configs(variants.VARIANTS[v] for v in variants.SHIPPED)


def expected_names() -> str:
    """The registered families as an error message lists them: 'SEGAN, SASEGAN, …, DSEGAN-SA-N with N >= 1'."""
    names = [v.config_name(f, "N") for v in variants.VARIANTS.values() for f in v.families]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return listed + (" with N >= 1" if any(v.stage_flag for v in variants.VARIANTS.values()) else "")


def _parse(name: str) -> tuple[Variant, Family, int | None]:
    """(entry, family, N or None for one stage) of a configuration name, in any case."""
    families = {f.name: (v, f) for v in variants.VARIANTS.values() for f in v.families}
    upper = name.upper()
    head, _, tail = upper.rpartition("-")
    if upper in families and families[upper][0].stage_flag is None:
        return (*families[upper], None)
    if head in families and families[head][0].stage_flag and re.fullmatch(r"\d+", tail) and int(tail) >= 1:
        return (*families[head], int(tail))
    raise ValueError(f"unknown configuration {name!r}; expected {expected_names()}")


def named_config(name: str, **overrides) -> ModelConfig:
    """The model of a named configuration, optionally with field overrides."""
    variant, family, n = _parse(name)
    fields = dict(variant=variant.name, stages=n or 1, self_attention=family.self_attention,
                  d_attention=family.d_attention)
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
    variant, family = _family_of(cfg)
    if family:
        return variant.config_name(family, cfg.stages)
    return (f"{cfg.variant}, {cfg.stages} stage(s), self_attention {cfg.self_attention}, "
            f"d_attention {cfg.d_attention}, att_generators {cfg.att_generators}")


def _family_of(cfg: ModelConfig) -> tuple[Variant, Family | None]:
    """(entry, the family whose named configuration the model is, or None)."""
    variant = variants.get(cfg.variant)
    for family in variant.families:
        named = named_config(variant.config_name(family, cfg.stages))
        if (cfg.self_attention, cfg.d_attention, cfg.att_generators) == \
                (named.self_attention, named.d_attention, named.att_generators):
            return variant, family
    return variant, None


def paper_windows(cfg: ModelConfig) -> int:
    """Windows per iteration in the paper's run scripts for a model: its named configuration's, or for a model
    that is none of them, its variant's."""
    variant, family = _family_of(cfg)
    return family and family.windows or variant.windows


def paper_gpus(name: str) -> int:
    """The GPUs the paper's run script trained a named configuration on."""
    variant, family, _ = _parse(name)
    return family.gpus or variant.gpus


def batch_per_replica(cfg: ModelConfig, replicas: int) -> int:
    """The batch rule: the paper's windows per iteration for the model (its entry's), split evenly over `replicas`.
    Training applies it unless --batch_size (windows per replica) is given."""
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
    stages = {"stages": cfg.stages} if variants.get(variant).stage_flag else {}
    return {**stages, "self_attention": cfg.self_attention, "d_attention": cfg.d_attention}
