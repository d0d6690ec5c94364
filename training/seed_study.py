"""Seed study: reruns the shipped rillet-gru and elmo-heads recipes with other seeds and scores
each pair with `./rillet eval` on test, to see how much of the heads-minus-GRU difference is the
seed.

For every GRU seed s (the heads get s + 6, as the shipped pair is 17 / 23):
  1. the command in models/rillet-gru/manifest.json with --seed s, into <work>/gru-<s>;
  2. the command in models/elmo-heads/manifest.json with --seed s+6, its word vectors started
     from that GRU, into <work>/heads-<s+6> (the biLM activation cache is shared);
  3. ./rillet eval --model <gru> --elmo models/elmo-bilm --elmo-heads <heads> --tasks upos,sst2.
Seed chains run side by side (--jobs); a model whose MODEL.md is already in <work> (a finished
earlier run) is not trained again. Prints a markdown table with the mean over the seeds. The
shipped models are read, never written.

    /usr/bin/python3 training/seed_study.py --seeds 18,19 [--jobs 2]
"""

import argparse
import concurrent.futures
import json
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rillet_recurrent as rr  # noqa: E402

HEADS_SEED_OFFSET = 6


def shipped_command(package):
    """The recipe command a shipped package records, as an argument list run by this Python."""
    command = json.loads((package / "manifest.json").read_text())["provenance"]["command"]
    words = shlex.split(command)
    if words[:1] != ["python3"] or not words[1].startswith("training/"):
        raise SystemExit(f"{package}: unexpected recorded command {command!r}")
    return [sys.executable, str(rr.REPO_ROOT / words[1])] + words[2:]


def run(argv, log, env=None):
    """Runs argv from the repository root, its output into log; exits on failure."""
    with open(log, "w", encoding="utf-8") as f:
        result = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, cwd=rr.REPO_ROOT,
                                env=env)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}), see {log}: {shlex.join(argv)}")


def train(argv, out, log):
    """Runs a recipe into out unless an earlier run finished there (MODEL.md is written last)."""
    if not (out / "MODEL.md").is_file():
        run(argv + ["--out", str(out)], log)


def accuracies(report):
    """{(task, model): accuracy} from a `./rillet eval --report` file, model being "recurrent"
    or "ELMo heads", task "UPOS" or "SST-2"."""
    figures = json.loads(Path(report).read_text())
    return {(name, model): tasks[key]["accuracy"]
            for model, tasks in (("recurrent", figures["tasks"]),
                                 ("ELMo heads", figures["elmo"]["tasks"]))
            for name, key in (("UPOS", "upos"), ("SST-2", "sst2"))}


def chain(seed, args):
    """Trains and evaluates one seed pair; returns {(task, model): accuracy}."""
    gru = args.work / f"gru-{seed}"
    heads = args.work / f"heads-{seed + HEADS_SEED_OFFSET}"
    data = ["--data", str(args.data)]
    train(shipped_command(args.models / "rillet-gru") + data + ["--seed", str(seed)], gru,
          args.work / f"gru-{seed}.log")
    train(shipped_command(args.models / "elmo-heads") + data
          + ["--seed", str(seed + HEADS_SEED_OFFSET), "--init-word-vectors", str(gru),
             "--work", str(args.work / "heads-cache")],
          heads, args.work / f"heads-{seed + HEADS_SEED_OFFSET}.log")
    report = args.work / f"eval-{seed}.json"
    run([str(rr.REPO_ROOT / "rillet"), "eval", "--data", str(args.data), "--model", str(gru),
         "--elmo", str(args.models / "elmo-bilm"), "--elmo-heads", str(heads),
         "--tasks", "upos,sst2", "--report", str(report)], args.work / f"eval-{seed}.log")
    return accuracies(report)


def table(results):
    """Markdown rows per seed pair and their mean."""
    columns = [("UPOS", "recurrent"), ("SST-2", "recurrent"), ("UPOS", "ELMo heads"),
               ("SST-2", "ELMo heads")]
    lines = ["| seeds (GRU / heads) | GRU UPOS | GRU SST-2 | heads UPOS | heads SST-2 | "
             "heads - GRU, SST-2 (points) |", "|---|---|---|---|---|---|"]

    def row(name, values):
        gap = 100 * (values[("SST-2", "ELMo heads")] - values[("SST-2", "recurrent")])
        cells = " | ".join(f"{values[c]:.4f}" for c in columns)
        return f"| {name} | {cells} | {gap:+.2f} |"

    for seed, values in results.items():
        lines.append(row(f"{seed} / {seed + HEADS_SEED_OFFSET}", values))
    if len(results) > 1:
        lines.append(row("mean", {c: statistics.mean(v[c] for v in results.values())
                                  for c in columns}))
    return "\n".join(lines)


def add_study_options(parser, work, shipped):
    """--data, --models (where the shipped packages are read) and --work (training/out/<work>)."""
    parser.add_argument("--data", type=Path, default=rr.data_root())
    parser.add_argument("--models", type=Path, default=rr.REPO_ROOT / "models",
                        help=f"the folder holding {shipped} (read, never written)")
    parser.add_argument("--work", type=Path, default=rr.REPO_ROOT / "training" / "out" / work)


def prepare(args):
    """What a study does before its runs: checks --data (what every run reads), makes --work
    and builds the jar once. Any ./rillet command builds it when it is stale; runs side by side
    (whose recipes call ./rillet tokenize) must never build it at the same time."""
    rr.check_data(args.data, "ud-ewt", "sst", "corpus")
    args.work.mkdir(parents=True, exist_ok=True)
    run([str(rr.REPO_ROOT / "rillet"), "tokenize", "--help"], args.work / "build.log")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", required=True,
                        help="GRU seeds, comma separated (the shipped GRU's is 17)")
    parser.add_argument("--jobs", type=int, default=1, help="seed chains run side by side")
    add_study_options(parser, "seed-study", "the shipped rillet-gru, elmo-heads and elmo-bilm")
    args = parser.parse_args()
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise SystemExit(f"--seeds: comma-separated integers, got {args.seeds!r}")
    prepare(args)
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {seed: pool.submit(chain, seed, args) for seed in seeds}
        results = {seed: future.result() for seed, future in futures.items()}
    print(table(results), flush=True)
    print(f"seed study wall time {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
