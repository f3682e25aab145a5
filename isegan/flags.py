"""ISEGAN: the number of times the one generator is applied."""

BATCH_SIZE = 50  # windows per replica: the paper's run scripts: 2 GPUs x 50
STAGE_FLAG = "--iterations"  # the flag of the stage count N


def add_flags(group) -> None:
    group.add_argument("--iterations", "--iteration", dest="iterations", type=int, default=2,
                       help="stages N: the shared generator is applied N times")


def model_fields(args) -> dict:
    return {"stages": args.iterations}
