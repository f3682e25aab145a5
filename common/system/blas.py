"""One BLAS thread per scoring process: the metrics' matrices are small, and extra threads only compete for
the cores (one process scores a 3 s file about twice as fast this way). BLAS reads these variables when
numpy loads, so they must be in the environment before that (spawned workers inherit it). No imports here:
a script sets them before numpy loads."""

ONE_BLAS_THREAD = {var: "1" for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
