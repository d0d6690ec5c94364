"""Pins the CPU kernels PyTorch trains with, so that a recipe repeats its run bit for bit on
any x86-64 machine with AVX2, whatever its CPU model or number of cores.

Call pin() before importing torch: OpenBLAS reads its settings once, when torch loads it.
Importing this module changes nothing by itself.

Why: floating-point sums give different last bits in a different order, and training
carries those bits forward until the runs visibly part. Measured with the GRU recipe by
training/kernel_study.py (training/README.md "Determinism"): on one machine, two runs with
the same settings give identical weights, but the weights change with OpenBLAS's kernel (it
picks one by CPU model: "Cooperlake" on an AMD EPYC), with OpenBLAS's thread count (one per
core by default; torch.set_num_threads does not reach it in this Debian build) and with
oneDNN's instruction set. So:
  OPENBLAS_CORETYPE=Haswell   the AVX2 kernel, which every x86-64 CPU since 2013 can run;
  OPENBLAS_NUM_THREADS=1      the recipes run one intra-op thread anyway (--threads 1);
  ATEN_CPU_CAPABILITY=avx2    PyTorch's own vector kernels (its default on AVX2 machines;
                              pinned so that a machine or release with another default
                              cannot move the results);
  ONEDNN_MAX_CPU_ISA=AVX2     oneDNN (the biLM's character convolutions) likewise.
A variable already set in the environment is left as the user set it; describe() reports
what is in effect. RILLET_PIN_KERNELS=0 pins nothing (the machine's defaults). Elsewhere (no
AVX2, not x86-64) nothing is pinned either, and describe() says so.
"""

import ctypes
import os
import platform
from pathlib import Path

PINNED = {
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
}


def _has_avx2():
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return "avx2" in line.split()
    except OSError:
        pass
    return False


PINNABLE = _has_avx2()
OPT_OUT = "RILLET_PIN_KERNELS"
OPTED_OUT = os.environ.get(OPT_OUT) == "0"


def pin():
    """Sets each PINNED variable the environment does not already set (on x86-64 with AVX2,
    unless RILLET_PIN_KERNELS=0). Call it before torch is imported."""
    if PINNABLE and not OPTED_OUT:
        for name, value in PINNED.items():
            os.environ.setdefault(name, value)


def environment(variables):
    """A copy of this process's environment without any kernel setting (the PINNED variables
    and RILLET_PIN_KERNELS), then with the given ones: for a child that must start from the
    machine's defaults or from exactly these settings."""
    env = {k: v for k, v in os.environ.items() if k not in PINNED and k != OPT_OUT}
    env.update(variables)
    return env


def loaded_openblas():
    """(core name, threads) of the OpenBLAS this process has loaded, or None when it has
    none loaded (torch not imported yet, or built against another BLAS)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = {line.split()[-1] for line in maps.splitlines() if "libopenblas" in line}
    if not paths:
        return None
    lib = ctypes.CDLL(sorted(paths)[0])  # already mapped: this opens the same instance
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib.openblas_get_corename().decode(), lib.openblas_get_num_threads()


def describe():
    """One line for a model card: the kernels in effect for this run."""
    blas = loaded_openblas()
    blas_text = ("BLAS not OpenBLAS" if blas is None else
                 f"OpenBLAS kernel {blas[0]}, {blas[1]} thread{'' if blas[1] == 1 else 's'}")
    if OPTED_OUT or not PINNABLE:
        why = "RILLET_PIN_KERNELS=0" if OPTED_OUT else f"this {platform.machine()} CPU has no AVX2"
        return (f"CPU kernels not pinned ({why}; {blas_text}), so a rerun on another machine "
                "may differ in the last bits")
    return (f"CPU kernels: {blas_text}; ATen {os.environ['ATEN_CPU_CAPABILITY']}; "
            f"oneDNN up to {os.environ['ONEDNN_MAX_CPU_ISA']} (training/rillet_kernels.py)")
