"""SEGAN has one generator and no flags of its own."""

BATCH_SIZE = 100  # windows per replica: SEGAN's run script: 1 GPU x 100
STAGE_FLAG = None  # one stage, always


def add_flags(group) -> None:
    pass


def model_fields(args) -> dict:
    return {"stages": 1}
