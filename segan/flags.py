"""SEGAN has one generator and no flags of its own."""


def add_flags(group) -> None:
    pass


def model_fields(args) -> dict:
    return {"stages": 1}
