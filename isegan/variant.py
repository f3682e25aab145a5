"""ISEGAN: one generator object applied cfg.stages times (shared weights); the chain does the
repeating, so the generator list is SEGAN's."""
from segan.variant import build_generators  # noqa: F401
