"""Tiny-scale tests of the recurrent package recipe: normalization, readers, vocabulary,
T>1 vs stepwise equality in PyTorch, ONNX export with metadata, package files."""

import json
from pathlib import Path

import onnx
import pytest
import torch

import rillet_recurrent as rr

CELLS = ["gru", "lstm", "rnn"]


def tiny_model(cell, layers=2, sentiment=2):
    torch.manual_seed(3)
    return rr.RecurrentTagger(cell, vocab_size=12, embedding=5, hidden=7, layers=layers,
                              n_tags=4, n_sentiment=sentiment)


def test_normalize_matches_the_java_vocabulary_cases():
    assert rr.normalize("The") == "the"
    assert rr.normalize("1984") == "0000"
    assert rr.normalize("ÉCOLE") == "école"
    assert rr.normalize("COVID-19") == "covid-00"
    assert rr.normalize("\u0663x\U0001D7D5") == "0x0"
    assert rr.normalize("already-0") == "already-0"


def test_build_vocab_puts_pad_unk_first_then_frequency_then_form():
    vocab = rr.build_vocab([["b", "A", "a", "7"], ["c", "b", "8"]], max_size=5)
    assert vocab == ["<pad>", "<unk>", "0", "a", "b"]
    index = {w: i for i, w in enumerate(vocab)}
    assert rr.encode(["B", "zzz", "9"], index) == [4, rr.UNK_ID, 2]


def test_read_conllu_skips_comments_ranges_and_empty_nodes(tmp_path):
    f = tmp_path / "x.conllu"
    f.write_text("# text = Don't go\n1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
                 "1\tDo\tdo\tAUX\t_\t_\t0\t_\t_\t_\n2\tn't\tnot\tPART\t_\t_\t1\t_\t_\t_\n"
                 "2.1\tx\tx\tX\t_\t_\t_\t_\t_\t_\n3\tgo\tgo\tVERB\t_\t_\t1\t_\t_\t_\n\n"
                 "1\tHi\thi\tINTJ\t_\t_\t0\t_\t_\t_\n", encoding="utf-8")
    assert rr.read_conllu(f) == [[("Do", "AUX"), ("n't", "PART"), ("go", "VERB")],
                                 [("Hi", "INTJ")]]


def test_read_sst_gives_the_java_tokenizers_tokens_and_as_written_the_files(tmp_path):
    path = tmp_path / "stsa.binary.x"
    path.write_text("1 it 's a sci-fi film -lrb- sort of -rrb- .\n\n0 `` dull '' .\n",
                    encoding="utf-8")
    assert rr.read_sst(path) == [
        (1, ["it", "'s", "a", "sci", "-", "fi", "film", "(", "sort", "of", ")", "."]),
        (0, ['"', "dull", '"', "."])]
    assert rr.read_sst_as_written(path) == [
        (1, ["it", "'s", "a", "sci-fi", "film", "-lrb-", "sort", "of", "-rrb-", "."]),
        (0, ["``", "dull", "''", "."])]


@pytest.mark.parametrize("cell", CELLS)
def test_whole_sequence_equals_single_steps(cell):
    model = tiny_model(cell).eval()
    torch.manual_seed(5)
    ids = torch.randint(0, 12, (3, 6))
    start = tuple(torch.randn_like(s) for s in model.zero_states(3))
    with torch.no_grad():
        whole = model(ids, *start)
        states = start
        for t in range(ids.shape[1]):
            step = model(ids[:, t:t + 1], *states)
            assert torch.allclose(step[0][:, 0], whole[0][:, t], atol=1e-6)
            assert torch.allclose(step[1][:, 0], whole[1][:, t], atol=1e-6)
            states = step[2:]
    n = 2 if cell == "lstm" else 1
    assert len(states) == n
    for got, want in zip(states, whole[2:]):
        assert got.shape == (2, 3, 7)
        assert torch.allclose(got, want, atol=1e-6)


def dims(value_info):
    return [d.dim_value if d.HasField("dim_value") else d.dim_param
            for d in value_info.type.tensor_type.shape.dim]


@pytest.mark.parametrize("cell", CELLS)
def test_export_has_contract_names_shapes_and_metadata(cell, tmp_path):
    model = tiny_model(cell, layers=1 if cell == "rnn" else 2)
    vocab = ["<pad>", "<unk>"] + [f"w{i}" for i in range(10)]
    manifest = rr.write_package(
        tmp_path, model, vocab, model_id="tiny", version="9.9", licence="test", data="none",
        command="pytest", seed=3, tag_labels=["A", "B", "C", "D"], sentiment_labels=["n", "p"],
        model_md="# tiny\n")
    proto = onnx.load(str(tmp_path / "model.onnx"))
    onnx.checker.check_model(proto)
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta == {"rillet.model.id": "tiny", "rillet.model.version": "9.9",
                    "rillet.model.kind": "recurrent", "rillet.model.cell": cell,
                    "rillet.training.data": "none", "rillet.training.command": "pytest",
                    "rillet.training.seed": "3"}
    assert proto.opset_import[0].version == rr.OPSET
    inputs = {i.name: i for i in proto.graph.input}
    outputs = {o.name: o for o in proto.graph.output}
    states_in, states_out = rr.state_names(cell)
    assert list(inputs) == ["token_ids"] + states_in
    assert list(outputs) == ["tag_logits", "sentiment_logits"] + states_out
    assert inputs["token_ids"].type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert dims(inputs["token_ids"]) == ["batch", "time"]
    layers = model.layers
    for name in states_in:
        assert inputs[name].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert dims(inputs[name]) == [layers, "batch", 7]
    for name in states_out:
        assert dims(outputs[name]) == [layers, "batch", 7]
    assert dims(outputs["tag_logits"]) == ["batch", "time", 4]
    assert dims(outputs["sentiment_logits"]) == ["batch", "time", 2]

    on_disk = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert on_disk["cell"] == cell and on_disk["layers"] == layers and on_disk["hidden"] == 7
    assert on_disk["inputs"] == {"tokenIds": "token_ids", "states": states_in}
    assert on_disk["outputs"]["states"] == states_out
    assert on_disk["vocabulary"] == {"file": "vocab.txt", "normalization": ["lowercase", "digits"],
                                     "unknownId": 1, "paddingId": 0}
    assert (tmp_path / "vocab.txt").read_text(encoding="utf-8").splitlines() == vocab
    assert "purpose" not in on_disk


def test_export_without_sentiment_head_omits_the_output(tmp_path):
    model = tiny_model("gru", sentiment=0)
    manifest = rr.write_package(
        tmp_path, model, ["<pad>", "<unk>"], model_id="t", version="1", licence="x", data="d",
        command="c", seed=1, tag_labels=["A", "B", "C", "D"], sentiment_labels=[], model_md="",
        purpose="demo")
    proto = onnx.load(str(tmp_path / "model.onnx"))
    assert [o.name for o in proto.graph.output] == ["tag_logits", "state_out"]
    assert "sentimentLogits" not in manifest["outputs"]
    assert manifest["sentimentLabels"] == []
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["purpose"] == "demo"


@pytest.mark.parametrize("cell", CELLS)
def test_committed_test_packages_agree_with_their_graphs(cell):
    pkg = rr.REPO_ROOT / "models" / f"test-{cell}"
    manifest = json.loads((pkg / "manifest.json").read_text(encoding="utf-8"))
    proto = onnx.load(str(pkg / manifest["file"]))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["rillet.model.id"] == manifest["id"]
    assert meta["rillet.model.version"] == manifest["version"]
    inputs = {i.name: i for i in proto.graph.input}
    for name in manifest["inputs"]["states"]:
        assert dims(inputs[name]) == [manifest["layers"], "batch", manifest["hidden"]]
    vocab = (pkg / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab[:2] == ["<pad>", "<unk>"] and len(vocab) == len(set(vocab))
    assert all(rr.normalize(w) == w for w in vocab[2:])
    assert sum(f.stat().st_size for f in pkg.iterdir()) < 1_000_000


def test_normalization_steps_are_chosen_by_the_package():
    assert rr.normalize("The 1984", ["digits"]) == "The 0000"
    assert rr.normalize("The 1984", ["lowercase"]) == "the 1984"
    assert rr.normalize("The 1984", []) == "The 1984"
    vocab = rr.build_vocab([["The", "the", "7"]], max_size=10, normalization=["digits"])
    assert vocab == ["<pad>", "<unk>", "0", "The", "the"]


UNKNOWN_CLASS_TABLE = (rr.REPO_ROOT / "operators" / "src" / "test" / "resources" / "dev" / "rillet"
                       / "onnx" / "unknown-word-classes.tsv")


def test_unknown_classes_match_the_table_java_is_tested_against():
    rows = [line.rstrip("\n").split("\t")
            for line in UNKNOWN_CLASS_TABLE.read_text(encoding="utf-8").splitlines(True)
            if not line.startswith("#")]
    assert len(rows) > 80
    names = set(rr.unknown_class_names())
    for token, expected in rows:
        assert rr.unknown_class(token) == expected, token
        assert expected in names


def test_unknown_classes_go_after_unk_and_encode_falls_back_to_them():
    tokens = [["The", "cat", "is", "running"], ["Dogs", "are", "barking", "the", "cat"]]
    vocab = rr.build_vocab(tokens, 100, normalization=["lowercase"], class_min_count=2)
    # <unk:lower> (cat, is, are, the, cat) and <unk:lower:-ing> (running, barking) are seen
    # twice or more; <unk:cap> (The) and <unk:cap:-s> (Dogs) once, so they are left out.
    assert vocab[:4] == ["<pad>", "<unk>", "<unk:lower>", "<unk:lower:-ing>"]
    assert vocab[4] == "cat" and not any(w.startswith("<unk:c") for w in vocab)
    index = {w: i for i, w in enumerate(vocab)}
    assert rr.encode(["cat"], index, ["lowercase"]) == [index["cat"]]
    assert rr.encode(["jumping", "Zebedee"], index, ["lowercase"]) == [
        index["<unk:lower:-ing>"], rr.UNK_ID]


def test_command_line_reruns_the_recipe_from_the_repository_root():
    import argparse
    args = argparse.Namespace(epochs=6, layer_norm=True, resume=False, limit=None,
                              bilm=rr.REPO_ROOT / "models" / "elmo-bilm",
                              data=Path("/elsewhere/data"), out=Path("/tmp/x"))
    assert rr.command_line("train_x.py", args, skip=("out",)) == (
        "python3 training/train_x.py --epochs 6 --layer-norm --bilm models/elmo-bilm "
        "--data /elsewhere/data")


def test_class_ids_fall_back_to_unk_without_the_class_in_the_vocabulary():
    index = {"<pad>": 0, "<unk>": 1, "<unk:num>": 2}
    assert rr.class_ids(["1999", "Running"], index) == [2, rr.UNK_ID]
