"""The machine under everything: one-line errors, path checks, file locks, stop signals, TensorFlow's logs
and BLAS threads."""
