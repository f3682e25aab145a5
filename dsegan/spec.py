"""DSEGAN: the number of independent generators and which of them carry self-attention."""
import re

from common.config.flags import int_list

_TF1_LAYER = re.compile(r"(enc|dec|enc_prelu|dec_prelu)_(\d+)")
_TF1_ATTENTION = re.compile(r"(encoder|decoder)_attention_layer(\d+)")

OWN_FIELDS = ("att_generators",)  # ModelConfig fields only this variant sets


def add_flags(group) -> None:
    group.add_argument("--stages", "--depth", dest="stages", type=int, default=2,
                       help="stages N: N independent generators (--depth: the upstream's name)")
    group.add_argument("--att_generators", type=int_list, default=None,
                       help="0-based generators that get self-attention with --self_attention (default: all)")


def model_fields(args) -> dict:
    return {"stages": args.stages, "att_generators": args.att_generators}


def check(cfg) -> None:
    if cfg.att_generators is None:
        return
    if not cfg.self_attention:
        raise ValueError("att_generators given but self_attention is off")
    bad = [n for n in cfg.att_generators if not 0 <= n < cfg.stages]
    if bad or len(set(cfg.att_generators)) != len(cfg.att_generators):
        raise ValueError(f"att_generators must be distinct indices in 0..{cfg.stages - 1}, got {cfg.att_generators}")


def generator_has_attention(cfg, n: int) -> bool:
    """Whether generator n of the chain carries self-attention (and spectral norm)."""
    return cfg.self_attention and (cfg.att_generators is None or n in cfg.att_generators)


def tf1_layer(layer: str, n: int) -> str:
    """The upstream TF1 name of generator n's layer (common/models/tf1_import.py): the generator index goes into the
    layer name (enc_{n}_{i}, dec_{n}_{i}, their PReLUs, z{n}); attention layers encoder_attention_layer_{n}_{k}
    are our own naming (the upstream DSEGAN-SA never ran)."""
    if layer == "z":
        return f"z{n}"
    if m := _TF1_LAYER.fullmatch(layer):
        return f"{m[1]}_{n}_{m[2]}"
    if m := _TF1_ATTENTION.fullmatch(layer):
        return f"{m[1]}_attention_layer_{n}_{m[2]}"
    raise KeyError(layer)


def tf1_detect(names: set) -> tuple[int, dict] | None:
    """(generators, the fields stages and att_generators) read off a TF1 checkpoint's names; None without
    enc_{n}_{i}."""
    gens = {int(m[1]) for n in names if (m := re.fullmatch(r"g_ae/enc_(\d+)_\d+/W", n))}
    if not gens:
        return None
    att = sorted({int(m[1]) for n in names if (m := re.match(r"g_ae/encoder_attention_layer_(\d+)_\d+/", n))})
    own = {"stages": len(gens)}
    if att and len(att) < len(gens):
        own["att_generators"] = tuple(att)
    return len(gens), own
