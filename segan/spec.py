"""SEGAN: one generator, one stage, no flags of its own."""

OWN_FIELDS = ()  # ModelConfig fields only this variant sets


def add_flags(group) -> None:
    pass


def model_fields(args) -> dict:
    return {"stages": 1}


def check(cfg) -> None:
    if cfg.stages != 1:
        raise ValueError(f"segan has exactly one stage, got stages={cfg.stages}")
