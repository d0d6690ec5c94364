"""The three training commands end to end at tiny scale (miniature data, tiny configs, a few
steps): each writes a complete package that reloads and matches its contract."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import h5py
import onnx
import onnx.numpy_helper
import pytest
import torch

import rillet_elmo as rel
import rillet_elmo_heads as reh
import rillet_recurrent as rr
from conftest import tiny_data

TRAINING = Path(__file__).resolve().parent.parent


def run(script, *args):
    result = subprocess.run([sys.executable, str(TRAINING / script), *map(str, args)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def tiny_bilm(tmp_path, data, *extra, name="bilm"):
    out = tmp_path / name
    log = run("train_elmo_bilm.py", "--data", data, "--out", out, "--work", tmp_path / "work",
              "--steps", 4, "--check-every", 2, "--log-every", 2, "--char-dim", 4,
              "--filters", "1x4,2x6", "--highway", 1, "--projection", 6, "--dim", 10,
              "--vocab-size", 50, "--min-count", 1, "--threads", 1, "--batch-tokens", 64, *extra)
    return out, log


def test_bilm_recipe_writes_a_loadable_package_with_perplexities(tmp_path):
    data = tiny_data(tmp_path / "data")
    out, log = tiny_bilm(tmp_path, data)
    assert "held-out (wikitext-2-test) perplexity forward" in log
    assert {"options.json", "weights.hdf5", "MODEL.md", "vocab.txt"} <= {
        p.name for p in out.iterdir()}
    options = json.loads((out / "options.json").read_text())
    assert options["lstm"]["dim"] == 10 and options["char_cnn"]["filters"] == [[1, 4], [2, 6]]
    with h5py.File(out / "weights.hdf5", "r") as h5:
        names = set()
        h5.visititems(lambda n, o: names.add(n) if isinstance(o, h5py.Dataset) else None)
    expected = {"char_embed", "CNN/W_cnn_0", "CNN/b_cnn_0", "CNN/W_cnn_1", "CNN/b_cnn_1",
                "CNN_high_0/W_carry", "CNN_high_0/b_carry", "CNN_high_0/W_transform",
                "CNN_high_0/b_transform", "CNN_proj/W_proj", "CNN_proj/b_proj"}
    for d in range(2):
        for k in range(2):
            g = f"RNN_{d}/RNN/MultiRNNCell/Cell{k}/LSTMCell"
            expected |= {f"{g}/W_0", f"{g}/B", f"{g}/W_P_0"}
    assert names == expected
    model = rel.load_bilm(out / "options.json", out / "weights.hdf5")
    ids, lengths = rel.batch_to_ids([["The", "dog"]])
    layers, _ = model(ids, lengths)
    assert len(layers) == 3 and layers[2].shape == (1, 4, 12)
    card = (out / "MODEL.md").read_text()
    assert "| forward |" in card and rel.sha256(out / "weights.hdf5") in card
    # A second run resumes from the checkpoint and ends with the same weights.
    again = tmp_path / "again"
    resume = ("--data", data, "--out", again, "--work", tmp_path / "work", "--steps", 4,
              "--check-every", 2, "--log-every", 2, "--char-dim", 4, "--filters", "1x4,2x6",
              "--highway", 1, "--projection", 6, "--dim", 10, "--vocab-size", 50,
              "--min-count", 1, "--threads", 1, "--batch-tokens", 64, "--resume")
    run("train_elmo_bilm.py", *resume)
    assert rel.sha256(again / "weights.hdf5") == rel.sha256(out / "weights.hdf5")
    # A resumed run's card counts the interrupted run's time, which the checkpoint carries:
    # pretend the first run took 10000 s.
    checkpoint = tmp_path / "work" / "checkpoint.pt"
    saved = torch.load(checkpoint)
    assert saved["seconds"] > 0
    saved["seconds"] = 10000.0
    torch.save(saved, checkpoint)
    run("train_elmo_bilm.py", *resume)
    card = (again / "MODEL.md").read_text()
    recorded = re.search(r"Wall time: (\d+) s in all \((\d+) s", card)
    assert 10000 <= int(recorded.group(2)) <= int(recorded.group(1)) < 10000 + 600
    # A checkpoint made with another seed is refused: the resumed run would be neither.
    refused = subprocess.run([sys.executable, str(TRAINING / "train_elmo_bilm.py"),
                              *map(str, resume), "--seed", "5"],
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0
    assert "is from a run with seed 7, this one has seed 5; resume with --seed 7" in (
        refused.stderr)


def test_bilm_recipe_reads_sst_as_the_java_tokenizer_does_and_repeats_the_task_text(tmp_path):
    data = tiny_data(tmp_path / "data")
    (data / "sst" / "stsa.fine.train").write_text("3 the -lrb- sci-fi -rrb- film\n1 dull .\n",
                                                  encoding="utf-8")
    sentences, vocab, cards = {}, {}, {}
    for tokens, repeat in (("as-written", 1), ("java", 3)):
        out, log = tiny_bilm(tmp_path, data, "--sst-tokens", tokens, "--task-text-repeat", repeat,
                             "--vocab-size", 500, name=tokens)
        sentences[tokens] = int(re.search(r"^train (\d+) sentences", log, re.M).group(1))
        vocab[tokens] = set((out / "vocab.txt").read_text(encoding="utf-8").split("\n"))
        cards[tokens] = (out / "MODEL.md").read_text(encoding="utf-8")
    # 3 Gutenberg + 2 WikiText sentences, then 3 EWT + 2 SST sentences `repeat` times.
    assert sentences == {"as-written": 5 + 5, "java": 5 + 3 * 5}
    assert {"-lrb-", "sci-fi"} <= vocab["as-written"] and not {"(", "sci"} & vocab["as-written"]
    assert {"(", "sci", "fi", ")"} <= vocab["java"] and not {"-lrb-", "sci-fi"} & vocab["java"]
    assert "sentences in SST's own tokenization." in cards["as-written"]
    assert ("sentences as ./rillet tokenize --format sst tokenizes them (EWT and SST text 3 "
            "times)") in re.sub(r"\s+", " ", cards["java"])
    assert "--sst-tokens java --task-text-repeat 3" in cards["java"]


def test_realtime_gru_recipe_writes_a_contract_package(tmp_path):
    data = tiny_data(tmp_path / "data")
    out = tmp_path / "gru"
    log = run("train_realtime_gru.py", "--data", data, "--out", out, "--epochs", 2,
              "--embedding", 6, "--hidden", 8, "--threads", 1)
    assert "kept epoch" in log
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["id"] == "rillet-gru" and manifest["cell"] == "gru"
    assert manifest["hidden"] == 8 and manifest["tagLabels"] == rr.UPOS_LABELS
    assert manifest["sentimentLabels"] == rr.SENTIMENT_LABELS
    vocab = (out / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab[:2] == ["<pad>", "<unk>"] and "0" in vocab and "cat" in vocab
    proto = onnx.load(str(out / "model.onnx"))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["rillet.model.id"] == "rillet-gru" and meta["rillet.model.cell"] == "gru"
    assert [i.name for i in proto.graph.input] == ["token_ids", "state_in"]
    assert "| UD EWT dev UPOS accuracy" in (out / "MODEL.md").read_text()


def test_seed_option_replaces_the_recipe_seed_and_is_recorded(tmp_path):
    data = tiny_data(tmp_path / "data")
    tiny = ("--data", data, "--epochs", 1, "--embedding", 6, "--hidden", 8, "--threads", 1)
    run("train_realtime_gru.py", *tiny, "--out", tmp_path / "fixed")
    run("train_realtime_gru.py", *tiny, "--out", tmp_path / "other", "--seed", 5)

    def provenance(package):
        proto = onnx.load(str(package / "model.onnx"))
        meta = {p.key: p.value for p in proto.metadata_props}
        card = (package / "MODEL.md").read_text()
        return meta["rillet.training.seed"], meta["rillet.training.command"], re.search(
            r"- Seed: (\d+);", card).group(1), proto

    seed, command, card_seed, fixed = provenance(tmp_path / "fixed")
    assert (seed, card_seed) == ("17", "17") and "--seed" not in command
    seed, command, card_seed, other = provenance(tmp_path / "other")
    assert (seed, card_seed) == ("5", "5") and command.endswith("--seed 5")
    weights = [[onnx.numpy_helper.to_array(i) for i in p.graph.initializer] for p in (fixed, other)]
    assert any(a.shape == b.shape and not (a == b).all() for a, b in zip(*weights))


def test_heads_recipe_trains_on_a_bilm_package(tmp_path):
    data = tiny_data(tmp_path / "data")
    torch.manual_seed(0)
    bilm = rel.ElmoBiLM(rel.default_options(char_dim=4, filters=((1, 4), (2, 4)),
                                            projection_dim=6, dim=8))
    bilm_dir = tmp_path / "tiny-bilm"
    weights = rel.save_bilm(bilm, bilm_dir)
    out = tmp_path / "heads"
    log = run("train_elmo_heads.py", "--data", data, "--bilm", bilm_dir, "--out", out,
              "--work", tmp_path / "work", "--epochs", 2, "--tag-hidden", 8,
              "--sentence-hidden", 4, "--threads", 1)
    assert "cached biLM activations" in log
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["bilm"] == {"id": "tiny-bilm", "weightsSha256": rel.sha256(weights)}
    assert manifest["layers"] == 3 and manifest["dim"] == 12
    assert manifest["sentiment5Labels"] == reh.SENTIMENT5_LABELS
    proto = onnx.load(str(out / "heads.onnx"))
    assert [o.name for o in proto.graph.output] == [
        "tag_logits", "sentiment_logits", "sentiment5_logits"]
    # Rerun: the cached activations are reused.
    log = run("train_elmo_heads.py", "--data", data, "--bilm", bilm_dir, "--out", out,
              "--work", tmp_path / "work", "--epochs", 1, "--tag-hidden", 8,
              "--sentence-hidden", 4, "--threads", 1)
    assert "cached biLM activations" not in log


def test_realtime_gru_recipe_starts_from_the_bilm_vectors_and_adds_corpus_words(tmp_path):
    import numpy as np
    from onnx import numpy_helper

    import train_realtime_gru as trg

    data = tiny_data(tmp_path / "data")
    bilm, _ = tiny_bilm(tmp_path, data)
    out = tmp_path / "gru"
    log = run("train_realtime_gru.py", "--data", data, "--out", out, "--epochs", 1,
              "--embedding", 6, "--hidden", 8, "--threads", 1, "--class-min-count", 1,
              "--pretrained-bilm", bilm, "--extra-min-count", 1)
    assert "corpus words added" in log
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["vocabulary"]["unknownClasses"] == rr.UNKNOWN_CLASSES
    # The card names the exact biLM weights the model was built from.
    assert rel.sha256(bilm / "weights.hdf5") in (out / "MODEL.md").read_text()
    vocab = (out / "vocab.txt").read_text(encoding="utf-8").splitlines()
    forms = trg.corpus_surface_forms(data, rr.NORMALIZATION)
    tagged = {rr.normalize(w) for d in rr.read_conllu_documents(data / "ud-ewt" /
                                                              "en_ewt-ud-train.conllu")
              for s in d for w, _ in s}
    tagged |= {rr.normalize(w) for _, t in rr.read_sst(data / "sst" / "stsa.binary.train")
               for w in t}
    extra = [i for i, w in enumerate(vocab) if not w.startswith("<") and w not in tagged]
    assert extra, "the corpus has forms the tagged text lacks"
    assert all(i > max(j for j, w in enumerate(vocab) if w in tagged) for i in extra)

    proto = onnx.load(str(out / "model.onnx"))
    table = next(numpy_helper.to_array(t) for t in proto.graph.initializer
                 if list(t.dims) == [len(vocab), 6 + 6])  # tiny biLM projection 6 + trained 6
    words = [i for i, w in enumerate(vocab) if not w.startswith("<")]
    vectors = trg.bilm_vectors(rel.package_files(bilm, "bilm"), [forms[vocab[i]][1] if vocab[i] in forms else vocab[i]
                                      for i in words]).numpy()
    np.testing.assert_allclose(table[words, :6], vectors, atol=1e-6)
    assert not table[:2, :6].any(), "<pad> and <unk> have no biLM vector"
    index = {w: i for i, w in enumerate(vocab)}
    for i in extra:
        cls = index.get(rr.unknown_class(forms[vocab[i]][1]), rr.UNK_ID)
        np.testing.assert_array_equal(table[i, 6:], table[cls, 6:])


@pytest.mark.parametrize("script, flag", [("train_realtime_gru.py", "--pretrained-bilm"),
                                          ("train_elmo_heads.py", "--bilm")])
def test_a_recipe_without_its_bilm_package_fails_at_startup_naming_the_flag(tmp_path, script,
                                                                             flag):
    # --data is empty too: the biLM must be checked before any data is read.
    done = subprocess.run([sys.executable, str(TRAINING / script), flag, str(tmp_path),
                           "--data", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert (f"{flag} {tmp_path}: expected a biLM package, options.json and one .hdf5 weights "
            f"file (found 0)") in done.stderr


@pytest.mark.parametrize("script, needs, writes, extra", [
    ("train_demo_gru.py", ["ud-ewt", "sst"], "--out", []),
    ("train_realtime_gru.py", ["ud-ewt", "sst"], "--out", []),
    ("train_realtime_gru.py", ["ud-ewt", "sst", "corpus"], "--out",
     ["--pretrained-bilm", rr.REPO_ROOT / "models" / "elmo-bilm"]),
    ("train_elmo_bilm.py", ["corpus", "ud-ewt", "sst"], "--work", []),
    ("train_elmo_heads.py", ["ud-ewt", "sst"], "--work",
     ["--bilm", rr.REPO_ROOT / "models" / "elmo-bilm"]),
    ("seed_study.py", ["ud-ewt", "sst", "corpus"], "--work", ["--seeds", 3]),
    ("kernel_study.py", ["ud-ewt", "sst", "corpus"], "--work", []),
])
def test_a_command_given_a_folder_without_the_data_fails_at_startup_naming_the_fix(
        tmp_path, script, needs, writes, extra):
    # sst/ is there, so the message must name only what is missing.
    (tmp_path / "sst").mkdir()
    done = subprocess.run([sys.executable, str(TRAINING / script), "--data", str(tmp_path),
                           writes, str(tmp_path / "written"), *map(str, extra)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    missing = ", ".join(f + "/" for f in needs if f != "sst")
    assert done.stderr.strip().splitlines() == [
        f"--data {tmp_path}: no {missing} there; point --data (or $RILLET_DATA) at the shared "
        f"data folder that holds {', '.join(f + '/' for f in needs)} (../shared/data)"]
    assert not (tmp_path / "written").exists(), "nothing is written before the check"


def test_a_data_folder_from_the_environment_is_named_as_such(tmp_path):
    env = {**os.environ, "RILLET_DATA": str(tmp_path)}
    done = subprocess.run([sys.executable, str(TRAINING / "train_demo_gru.py"), "--out",
                           str(tmp_path / "written")], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode != 0
    assert done.stderr.startswith(f"$RILLET_DATA {tmp_path}: no ud-ewt/, sst/ there; ")
