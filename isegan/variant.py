"""ISEGAN: one generator object, which the chain applies cfg.stages times (shared weights)."""
from common.models.generator import Generator


def build_generators(cfg):
    return [Generator(cfg, name="generator")]
