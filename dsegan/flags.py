"""DSEGAN: the number of independent generators and which of them carry self-attention."""
from common.flags import int_list

BATCH_SIZE = 50  # windows per replica: the paper's run scripts: 2 GPUs x 50
STAGE_FLAG = "--depth"  # the flag of the stage count N


def add_flags(group) -> None:
    group.add_argument("--depth", type=int, default=2, help="stages N: N independent generators")
    group.add_argument("--att_generators", type=int_list, default=None,
                       help="0-based generators that get self-attention with --self_attention (default: all)")


def model_fields(args) -> dict:
    return {"stages": args.depth, "att_generators": args.att_generators}
