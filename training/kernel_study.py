"""Kernel study: does a recipe repeat its run bit for bit, and which CPU-kernel settings move it?

Reruns the GRU recipe command recorded in models/rillet-gru/manifest.json, cut to --epochs, once
per environment below, and prints a markdown table of each run's weights digest (sha256 over
the ONNX initializers) next to the kernels its card says were in effect:
  - the machine's defaults (RILLET_PIN_KERNELS=0), twice: does the same machine repeat?
  - the defaults with one of OpenBLAS's settings pinned, then with both, then with all but
    oneDNN's;
  - the recipes' own setting (training/rillet_kernels.py pins all four), twice.
Equal digests mean identical weights. The pinned digest is the one to compare across machines:
the same command prints the same digest wherever the pin holds. Runs go side by side (--jobs);
the shipped model is read, never written.

    /usr/bin/python3 training/kernel_study.py [--epochs 2] [--jobs 2]
"""

import argparse
import concurrent.futures
import hashlib
import sys
import time
from pathlib import Path

import onnx
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rillet_kernels  # noqa: E402
import rillet_recurrent as rr  # noqa: E402
import seed_study  # noqa: E402

UNPINNED = {rillet_kernels.OPT_OUT: "0"}
VARIANTS = (
    ("defaults", UNPINNED),
    ("defaults, again", UNPINNED),
    ("defaults + OPENBLAS_NUM_THREADS=1", {**UNPINNED, "OPENBLAS_NUM_THREADS": "1"}),
    ("defaults + OPENBLAS_CORETYPE=Haswell", {**UNPINNED, "OPENBLAS_CORETYPE": "Haswell"}),
    ("defaults + both OpenBLAS settings",
     {**UNPINNED, "OPENBLAS_NUM_THREADS": "1", "OPENBLAS_CORETYPE": "Haswell"}),
    ("pinned but for oneDNN", {**UNPINNED, "OPENBLAS_NUM_THREADS": "1",
                               "OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2"}),
    ("pinned (the recipes' setting)", {}),
    ("pinned, again", {}),
)


def weights_digest(model):
    """sha256 over the initializers' names and values, in name order: the weights only, not
    the file's metadata."""
    digest = hashlib.sha256()
    for tensor in sorted(onnx.load(str(model)).graph.initializer, key=lambda t: t.name):
        digest.update(tensor.name.encode())
        digest.update(numpy_helper.to_array(tensor).tobytes())
    return digest.hexdigest()


def kernels_line(card):
    """The card's line on CPU kernels (written by rillet_kernels.describe())."""
    return next((line[2:] for line in card.read_text(encoding="utf-8").splitlines()
                 if line.startswith("- CPU kernels")), "(not recorded)")


def run_variant(number, variables, args):
    out = args.work / f"run-{number}"
    argv = (seed_study.shipped_command(args.models / "rillet-gru")
            + ["--data", str(args.data), "--epochs", str(args.epochs), "--out", str(out)])
    seed_study.run(argv, args.work / f"run-{number}.log", rillet_kernels.environment(variables))
    return weights_digest(out / "model.onnx"), kernels_line(out / "MODEL.md")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2,
                        help="epochs per run (the recipe's cosine schedule follows it)")
    parser.add_argument("--jobs", type=int, default=2, help="runs side by side")
    seed_study.add_study_options(parser, "kernel-study", "the shipped rillet-gru")
    args = parser.parse_args()
    seed_study.prepare(args)
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_variant, i, variables, args)
                   for i, (_, variables) in enumerate(VARIANTS, 1)]
        results = [future.result() for future in futures]
    lines = ["| run | environment | kernels in effect (the run's card) | weights sha256 |",
             "|---|---|---|---|"]
    for (name, variables), (digest, kernels) in zip(VARIANTS, results):
        shown = " ".join(f"{k}={v}" for k, v in variables.items()) or "(none set)"
        lines.append(f"| {name} | {shown} | {kernels} | `{digest[:16]}` |")
    print("\n".join(lines), flush=True)
    print(f"kernel study wall time {time.time() - started:.0f} s ({args.epochs} epochs per run)",
          flush=True)


if __name__ == "__main__":
    main()
