"""SEGAN: a single generator, one stage."""
from common.models.generator import Generator


def build_generators(cfg):
    return [Generator(cfg, name="generator")]
