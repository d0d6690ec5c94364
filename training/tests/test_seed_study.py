"""training/seed_study.py end to end on miniature data: the shipped recipes' commands with other
seeds, scored by the real `./rillet eval`."""

import json
import re
import shutil
import subprocess
import sys

import onnx

import rillet_elmo as rel
import rillet_recurrent as rr
from conftest import tiny_data

STUDY = rr.REPO_ROOT / "training" / "seed_study.py"


def test_seed_study_trains_each_pair_with_its_seeds_and_tabulates_eval(tmp_path):
    data = tiny_data(tmp_path / "data")
    # The miniature tree has no test split (recipes never read one); eval scores the dev text.
    for dev, test in (("ud-ewt/en_ewt-ud-dev.conllu", "ud-ewt/en_ewt-ud-test.conllu"),
                      ("sst/stsa.binary.dev", "sst/stsa.binary.test"),
                      ("sst/stsa.fine.dev", "sst/stsa.fine.test")):
        shutil.copy(data / dev, data / test)
    shipped = rr.REPO_ROOT / "models" / "rillet-gru" / "model.onnx"
    shipped_sha = rel.sha256(shipped)
    work = tmp_path / "study"
    command = [sys.executable, str(STUDY), "--seeds", "3,4", "--jobs", "2", "--data", str(data),
               "--work", str(work)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    for gru_seed, heads_seed, package, file in ((3, 9, "gru-3", "model.onnx"),
                                                (4, 10, "heads-10", "heads.onnx")):
        meta = {p.key: p.value for p in onnx.load(str(work / package / file)).metadata_props}
        seed = gru_seed if package.startswith("gru") else heads_seed
        assert meta["rillet.training.seed"] == str(seed)
        assert meta["rillet.training.command"].endswith(f"--seed {seed}")
    heads_command = json.loads((work / "heads-9" / "manifest.json").read_text())["provenance"]
    assert f"--init-word-vectors {work / 'gru-3'}" in heads_command["command"]

    rows = {m.group(1): [float(v) for v in m.group(2).split(" | ")]
            for m in re.finditer(r"^\| (\d+ / \d+|mean) \| ([\d. |]+?) \| [+-]\d+\.\d\d \|$",
                                 done.stdout, re.M)}
    assert set(rows) == {"3 / 9", "4 / 10", "mean"}
    for seed in (3, 4):
        figures = json.loads((work / f"eval-{seed}.json").read_text())
        assert rows[f"{seed} / {seed + 6}"] == [
            round(figures["tasks"]["upos"]["accuracy"], 4),
            round(figures["tasks"]["sst2"]["accuracy"], 4),
            round(figures["elmo"]["tasks"]["upos"]["accuracy"], 4),
            round(figures["elmo"]["tasks"]["sst2"]["accuracy"], 4)]
    assert rel.sha256(shipped) == shipped_sha

    # A rerun finds both pairs trained and only evaluates them again.
    trained = (work / "gru-3" / "MODEL.md").stat().st_mtime_ns
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (work / "gru-3" / "MODEL.md").stat().st_mtime_ns == trained
    table = done.stdout.rsplit("seed study wall time", 1)[0]
    assert again.stdout.rsplit("seed study wall time", 1)[0] == table
