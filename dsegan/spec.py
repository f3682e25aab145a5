"""DSEGAN: the number of independent generators and which of them carry self-attention."""
from common.flags import int_list

BATCH_SIZE = 50  # windows per replica: the paper's run scripts: 2 GPUs x 50
OWN_FIELDS = ("att_generators",)  # ModelConfig fields only this variant sets
STAGE_FLAG = "--depth"  # the flag of the stage count N


def add_flags(group) -> None:
    group.add_argument("--depth", type=int, default=2, help="stages N: N independent generators")
    group.add_argument("--att_generators", type=int_list, default=None,
                       help="0-based generators that get self-attention with --self_attention (default: all)")


def model_fields(args) -> dict:
    return {"stages": args.depth, "att_generators": args.att_generators}


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
