"""Blocks: conv and transposed conv (with their speed kernels), spectral norm, self-attention, VBN, the losses
and the optimizer."""
