"""Dynamic loss scaling for --mixed_precision float16 (not the paper's).

float16 flushes values below 6e-8 to zero, where many of a GAN's gradients lie. The loss is multiplied by
`scale` before the backward pass and the gradients are divided by it after, in float32. A step whose
gradients are not all finite on every replica is skipped (no weight and no optimizer-state update) and
halves the scale; GROWTH_STEPS finite steps in a row double it. The state is in the checkpoint.
"""
from __future__ import annotations

import tensorflow as tf

INITIAL_SCALE = 2.0 ** 15
GROWTH_STEPS = 2000


class DynamicLossScale(tf.Module):
    def __init__(self, name: str):
        super().__init__(name=name)
        self.scale = tf.Variable(INITIAL_SCALE, trainable=False, dtype=tf.float32, name="scale")
        self.finite_steps = tf.Variable(0, trainable=False, dtype=tf.int64, name="finite_steps")
        self.skipped = tf.Variable(0, trainable=False, dtype=tf.int64, name="skipped")

    def unscaled(self, gradients):
        """The gradients of the scaled loss divided by the scale, and 0.0 if all are finite else 1.0 (summed
        over the replicas, the number of replicas that overflowed)."""
        gradients = [g / self.scale for g in gradients]
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in gradients])
        return gradients, 1.0 - tf.cast(finite, tf.float32)

    def update(self, finite) -> None:
        """After a step (cross-replica context; `finite` agreed by all replicas): halve on an overflow, double
        after GROWTH_STEPS finite steps."""
        grow = finite & (self.finite_steps + 1 >= GROWTH_STEPS)
        self.scale.assign(tf.where(finite, tf.where(grow, 2.0, 1.0), 0.5) * self.scale)
        self.finite_steps.assign(tf.where(finite & ~grow, self.finite_steps + 1, 0))
        self.skipped.assign_add(tf.cast(~finite, tf.int64))
