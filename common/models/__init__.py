"""Models: the generator, the discriminator, the chain of generators, building them from a ModelConfig, and
reading checkpoints into them."""
