"""training/rillet_kernels.py (the recipes' pinned CPU kernels) and training/kernel_study.py."""

import re
import subprocess
import sys

import pytest

import kernel_study
import rillet_elmo as rel
import rillet_kernels
import rillet_recurrent as rr
from conftest import tiny_data

TRAINING = rr.REPO_ROOT / "training"


PIN_THEN_TORCH = ("import rillet_kernels; rillet_kernels.pin(); import torch; "
                  "print(rillet_kernels.describe())")


def kernels_in(variables, script=PIN_THEN_TORCH):
    """The script's output in a fresh Python whose environment has none of the kernel
    variables but the given ones (this test process may hold pins: a recipe module pinned)."""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=TRAINING, env=rillet_kernels.environment(variables), timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def require_pinnable_openblas():
    unpinned = kernels_in({"RILLET_PIN_KERNELS": "0"})
    if "OpenBLAS kernel" not in unpinned:
        pytest.skip(f"pinning applies to OpenBLAS on x86-64 with AVX2; here: {unpinned}")
    return unpinned


def test_pinning_before_torch_gives_openblas_haswell_and_one_thread():
    require_pinnable_openblas()
    assert kernels_in({}) == ("CPU kernels: OpenBLAS kernel Haswell, 1 thread; ATen avx2; "
                              "oneDNN up to AVX2 (training/rillet_kernels.py)")


def test_a_setting_the_user_made_wins_and_opting_out_pins_nothing():
    unpinned = require_pinnable_openblas()
    assert "OpenBLAS kernel Haswell, 2 threads" in kernels_in({"OPENBLAS_NUM_THREADS": "2"})
    assert unpinned.startswith("CPU kernels not pinned (RILLET_PIN_KERNELS=0; OpenBLAS kernel ")
    # The opt-out leaves the variables as they were: nothing set.
    script = ("import os, rillet_kernels; rillet_kernels.pin(); "
              "print(sorted(k for k in rillet_kernels.PINNED if k in os.environ))")
    assert kernels_in({"RILLET_PIN_KERNELS": "0"}, script) == "[]"


def test_kernel_study_reruns_the_shipped_gru_command_per_environment(tmp_path):
    require_pinnable_openblas()
    data = tiny_data(tmp_path / "data")
    shipped = rr.REPO_ROOT / "models" / "rillet-gru" / "model.onnx"
    shipped_sha = rel.sha256(shipped)
    work = tmp_path / "study"
    done = subprocess.run([sys.executable, str(TRAINING / "kernel_study.py"), "--epochs", "1",
                           "--jobs", "2", "--data", str(data), "--work", str(work)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr

    rows = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r"^\| ([^|]+) \| [^|]+ \| ([^|]+) \| `([0-9a-f]{16})` \|$", done.stdout, re.M)}
    assert list(rows) == [name for name, _ in kernel_study.VARIANTS]
    for number, (name, _) in enumerate(kernel_study.VARIANTS, 1):
        package = work / f"run-{number}"
        assert rows[name][1] == kernel_study.weights_digest(package / "model.onnx")[:16]
        assert "--epochs 1" in (package / "MODEL.md").read_text()
    assert rows["pinned, again"] == rows["pinned (the recipes' setting)"]
    assert "OpenBLAS kernel Haswell, 1 thread;" in rows["pinned, again"][0]
    assert rows["defaults, again"] == rows["defaults"]
    assert rows["defaults"][0].startswith("CPU kernels not pinned (RILLET_PIN_KERNELS=0")
    assert "OpenBLAS kernel Haswell, " in rows["defaults + OPENBLAS_CORETYPE=Haswell"][0]
    assert ", 1 thread)" in rows["defaults + OPENBLAS_NUM_THREADS=1"][0]
    assert rel.sha256(shipped) == shipped_sha
