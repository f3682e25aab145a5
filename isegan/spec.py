"""ISEGAN: the number of times the one generator is applied."""

OWN_FIELDS = ()  # ModelConfig fields only this variant sets


def add_flags(group) -> None:
    group.add_argument("--stages", "--iterations", "--iteration", dest="stages", type=int, default=2,
                       help="stages N: the shared generator is applied N times (--iterations: the upstream's name)")


def model_fields(args) -> dict:
    return {"stages": args.stages}


def check(cfg) -> None:
    pass  # any stage count; one generator, so attention is in every stage or none
