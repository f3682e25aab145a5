"""The one table of variants. A variant is its folder and its entry here.

The folder, named as the variant, holds `spec.py` (no TensorFlow: its own flags and the ModelConfig fields they
set, its checks; for a chain of distinct generators, their upstream TF1 names), `variant.py`
(`build_generators(cfg, kernels)`, called by common/models/build.py) and `main.py` (`common.main.main(name)`).

The entry is a `Variant` given to `register`: its configuration families, its stage flag, the paper's GPUs and
windows per iteration, and the modules of its spec and its generators. The named configurations, `--config`, the
batch rule and the tests' variant lists derive from the table (common/config/named_configs.py).

The shipped variants are registered at the end of this module. A variant the project does not ship registers its
entry when its package is imported (its `__init__.py`); its `main.py` imports the package first."""
from __future__ import annotations

import dataclasses
import importlib
import re

_VARIANT_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_FAMILY_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*")  # no trailing -N: that is the stage count


@dataclasses.dataclass(frozen=True)
class Family:
    """A family of named configurations: NAME for a one-stage variant, NAME-N (N >= 1 stages) otherwise."""
    name: str  # upper case, e.g. "ISEGAN-SA"
    self_attention: bool = False  # self-attention and spectral norm in the generator(s)
    d_attention: bool = False  # self-attention and spectral norm in the discriminator
    gpus: int | None = None  # the paper's GPUs, when not the variant's
    windows: int | None = None  # the paper's windows per iteration, when not the variant's


@dataclasses.dataclass(frozen=True)
class Variant:
    """A variant's entry. `families[0]` is its plain family; a model of no family gets the variant's GPUs and
    windows."""
    name: str  # its folder
    families: tuple  # of Family
    stage_flag: str | None  # the flag of the stage count N (dest `stages`); None: one stage
    gpus: int  # the GPUs of the paper's run script
    windows: int  # the windows per iteration of the paper's run script, all replicas together
    paper_stages: tuple = ()  # the N of the paper's tables; (1,) for a one-stage variant in them; () none
    spec: str = ""  # the module of its spec; default <name>.spec
    generators: str = ""  # the module of its build_generators(cfg, kernels); default <name>.variant

    def __post_init__(self):
        object.__setattr__(self, "families", tuple(self.families))
        object.__setattr__(self, "paper_stages", tuple(self.paper_stages))
        object.__setattr__(self, "spec", self.spec or f"{self.name}.spec")
        object.__setattr__(self, "generators", self.generators or f"{self.name}.variant")
        if not _VARIANT_NAME.fullmatch(self.name):
            raise ValueError(f"variant {self.name!r}: its name is its folder, a lower-case Python identifier")
        if not self.families:
            raise ValueError(f"variant {self.name!r}: give at least one Family")
        for f in self.families:
            if not _FAMILY_NAME.fullmatch(f.name):
                raise ValueError(f"variant {self.name!r}: family {f.name!r} must be upper case, "
                                 f"words joined by '-', without a trailing number")
        runs = [self.gpus, self.windows, *(n for f in self.families for n in (f.gpus, f.windows) if n is not None)]
        if any(not isinstance(n, int) or n < 1 for n in runs):
            raise ValueError(f"variant {self.name!r}: GPUs and windows must be positive ints")
        if self.stage_flag is None and self.paper_stages not in ((), (1,)):
            raise ValueError(f"variant {self.name!r} has one stage: paper_stages is () or (1,)")
        if any(not isinstance(n, int) or n < 1 for n in self.paper_stages):
            raise ValueError(f"variant {self.name!r}: paper_stages must be ints >= 1")

    def config_name(self, family: Family, stages: int | str) -> str:
        """The named configuration of `family` with `stages` stages ("N": the family's pattern)."""
        return family.name if self.stage_flag is None else f"{family.name}-{stages}"


VARIANTS: dict[str, Variant] = {}  # name → entry, in registration order


def register(variant: Variant) -> Variant:
    """Add a variant's entry to the table. Registering the same entry again changes nothing; another entry under a
    taken variant name or family name raises ValueError."""
    if VARIANTS.get(variant.name, variant) != variant:
        raise ValueError(f"variant {variant.name!r} is registered already, with another entry")
    names = [f.name for f in variant.families]
    if len(set(names)) != len(names):
        raise ValueError(f"variant {variant.name!r}: a configuration family is named twice in {names}")
    taken = {f.name: v.name for v in VARIANTS.values() if v.name != variant.name for f in v.families}
    if clash := [f"{n} (by {taken[n]})" for n in names if n in taken]:
        raise ValueError(f"variant {variant.name!r}: configuration families taken: {', '.join(clash)}")
    VARIANTS[variant.name] = variant
    return variant


def get(variant: str) -> Variant:
    """The variant's entry; an unknown name raises ValueError."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {tuple(VARIANTS)}, got {variant!r}")
    return VARIANTS[variant]


def spec(variant: str):
    """The variant's spec module; an unknown name raises ValueError."""
    return importlib.import_module(get(variant).spec)


def own_tf1_names(variant: str) -> bool:
    """Whether the variant's generators have TF1 names of their own (its spec defines tf1_layer)."""
    return hasattr(spec(variant), "tf1_layer")


def tf1_layer(variant: str | None, layer: str, n: int) -> str:
    """The upstream TF1 name of generator n's layer: the spec's `tf1_layer`, else g_ae/<layer> (one generator,
    shared by the stages)."""
    return spec(variant).tf1_layer(layer, n) if variant and own_tf1_names(variant) else layer


def tf1_detect(names: set) -> tuple[str | None, int, dict]:
    """(variant, generators, the variant's own ModelConfig fields) read off a TF1 checkpoint's variable names by the
    specs' `tf1_detect`; (None, 1, {}) when no spec recognises them (SEGAN and ISEGAN-N hold the same variables)."""
    for v in VARIANTS:
        detect = getattr(spec(v), "tf1_detect", None)
        if detect and (found := detect(names)):
            return (v, *found)
    return None, 1, {}


# The shipped variants. The paper's run scripts: SEGAN 1 GPU x 100 windows per iteration, SASEGAN 1 GPU x 50, the
# multi-stage models 2 GPUs x 50 each, 100 per iteration.
register(Variant("segan", (Family("SEGAN"), Family("SASEGAN", self_attention=True, d_attention=True, windows=50)),
                 stage_flag=None, gpus=1, windows=100, paper_stages=(1,)))
register(Variant("isegan", (Family("ISEGAN"), Family("ISEGAN-SA", self_attention=True)),
                 stage_flag="--stages", gpus=2, windows=100, paper_stages=(2, 3, 4)))
register(Variant("dsegan", (Family("DSEGAN"), Family("DSEGAN-SA", self_attention=True)),
                 stage_flag="--stages", gpus=2, windows=100, paper_stages=(2, 3, 4)))

SHIPPED = tuple(VARIANTS)  # the variants whose folders the repository holds
