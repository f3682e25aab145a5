"""SEGAN: a single generator, one stage."""
from common.models.generator import Generator


def build_generators(cfg, kernels="native"):
    return [Generator(cfg, kernels=kernels, name="generator")]
