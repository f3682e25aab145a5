"""ISEGAN: one generator object, which the chain applies cfg.stages times (shared weights)."""
from common.models.generator import Generator


def build_generators(cfg, kernels="native"):
    return [Generator(cfg, kernels=kernels, name="generator")]
