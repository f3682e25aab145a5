"""RMSProp with TensorFlow 1 semantics, as the reference trained with (docs/design.md §7, §13 item 16).

    ms  <- rho * ms + (1 - rho) * g^2        (ms starts at 1.0, not 0)
    var <- var - lr * g / sqrt(ms + eps)     (eps = 1e-10 inside the square root)

Keras' RMSprop starts ms at 0 and puts eps outside the root: its first step is lr/sqrt(1-rho) ≈ 3.2 lr
per weight whatever the gradient's size, where this one's is about lr·g.
"""
from __future__ import annotations

import keras
import tensorflow as tf


class TF1RMSProp(keras.optimizers.Optimizer):
    def __init__(self, learning_rate=2e-4, rho=0.9, epsilon=1e-10, name="tf1_rmsprop", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._ms = [self.add_variable_from_reference(v, "ms", initializer="ones") for v in var_list]
        # TF1's fused kernel writes the step into a momentum slot, which momentum 0 makes scratch: kept out of
        # checkpoints (a holder that is not tracked), so that they hold the slots they always held
        self._scratch = _Untracked([tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False, name=f"{v.name}_step")
                                    for v in var_list])

    def ms_slot(self, variable):
        """The mean-square slot of a model variable."""
        return self._ms[self._get_variable_index(variable)]

    def update_step(self, gradient, variable, learning_rate):
        """The update in one pass over the variable (TF1's RMSProp kernel, as the reference ran it)."""
        index = self._get_variable_index(variable)  # Keras' own hook for subclasses (its Optimizer docs' example)
        tf.raw_ops.ResourceApplyRMSProp(
            var=variable.handle, ms=self._ms[index].value.handle, mom=self._scratch.items[index].handle,
            lr=tf.cast(learning_rate, variable.dtype), rho=tf.cast(self.rho, variable.dtype),
            momentum=tf.zeros((), variable.dtype), epsilon=tf.cast(self.epsilon, variable.dtype),
            grad=tf.cast(gradient, variable.dtype))

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class _Untracked:
    """Holds variables where neither Keras nor tf.train.Checkpoint looks for state."""

    def __init__(self, items):
        self.items = items
