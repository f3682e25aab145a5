"""A chain of generator stages (docs/design.md §6): stage 0 enhances the noisy input, stage n
enhances stage n-1's output, with no stop-gradient in between. The variants differ only in
the generators handed in: one generator for every stage (SEGAN, ISEGAN: shared weights) or one
per stage (DSEGAN)."""
import keras

from common.models.tracking import track


class GeneratorChain(keras.Model):

    def __init__(self, generators, stages, **kwargs):
        """`generators`: one generator (used by every stage) or exactly `stages` generators."""
        super().__init__(**kwargs)
        if stages < 1 or len(generators) not in (1, stages):
            raise ValueError(f"GeneratorChain: {len(generators)} generators for {stages} stages; "
                             f"give one (shared) or one per stage")
        self.generators = list(generators)
        track(self, self.generators)
        self.stages = stages

    def stage_generator(self, n):
        """The generator object of stage n."""
        return self.generators[n if len(self.generators) > 1 else 0]

    def build(self, input_shape):
        for g in self.generators:
            g.build(input_shape)

    def call(self, noisy, zs=None):
        """noisy [B, T, 1] -> list of the N stage outputs [B, T, 1]. `zs`: None (fresh draws)
        or one z per stage."""
        if zs is not None and len(zs) != self.stages:
            raise ValueError(f"GeneratorChain: {len(zs)} z tensors for {self.stages} stages")
        outputs, h = [], noisy
        for n in range(self.stages):
            h = self.stage_generator(n)(h, z=None if zs is None else zs[n])
            outputs.append(h)
        return outputs
