"""Shared test settings. With two cores shared by pytest workers and notebook kernels, every
process does its numerics on one thread (a contended multi-threaded GEMM was seen 50x slower)."""
import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
