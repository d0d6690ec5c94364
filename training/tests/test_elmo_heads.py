"""ELMo heads: outputs independent of padding, scalar mix, ONNX export contract, and the
committed test package against the fixture biLM."""

import json

import onnx
import pytest
import torch

import rillet_elmo as rel
import rillet_elmo_heads as reh
import rillet_recurrent as rr
from conftest import fixture_dir


def tiny_heads(context_hidden=0, vocab_size=0, layer_norm=False):
    torch.manual_seed(4)
    return reh.ElmoHeads(n_layers=3, dim=6, n_tags=5, n_sentiment=2, n_sentiment5=5,
                         tag_hidden=7, sentence_hidden=16, context_hidden=context_hidden,
                         vocab_size=vocab_size, word_dim=3 if vocab_size else 0,
                         layer_norm=layer_norm).eval()


@pytest.mark.parametrize("context_hidden,vocab_size,layer_norm",
                         [(0, 0, False), (5, 0, False), (5, 9, False), (5, 9, True)])
def test_outputs_of_a_sentence_do_not_depend_on_batch_padding(context_hidden, vocab_size,
                                                               layer_norm):
    heads = tiny_heads(context_hidden, vocab_size, layer_norm)
    torch.manual_seed(1)
    alone = torch.randn(3, 1, 4, 6)
    padded = torch.zeros(3, 2, 9, 6)
    padded[:, 0, :4] = alone[:, 0]
    padded[:, 1] = torch.randn(3, 9, 6)
    mask = torch.tensor([[1.0] * 4 + [0.0] * 5, [1.0] * 9])
    ids_alone = ids_padded = None
    if vocab_size:
        ids_alone = torch.tensor([[2, 5, 8, 3]])
        ids_padded = torch.tensor([[2, 5, 8, 3] + [rr.PAD_ID] * 5, [4, 6, 7, 1, 2, 3, 4, 5, 6]])
    with torch.no_grad():
        a = heads(alone, torch.ones(1, 4), ids_alone)
        b = heads(padded, mask, ids_padded)
    torch.testing.assert_close(b[0][0, :4], a[0][0], atol=1e-6, rtol=0)
    torch.testing.assert_close(b[1][0], a[1][0], atol=1e-6, rtol=0)
    torch.testing.assert_close(b[2][0], a[2][0], atol=1e-6, rtol=0)
    # Guard: the outputs do depend on the sentence (a padded twin would hide a masking bug).
    assert (b[1][1] - b[1][0]).abs().max() > 1e-4
    assert (b[0][1, :4] - b[0][0, :4]).abs().max() > 1e-4


def test_scalar_mix_is_gamma_times_softmax_weighted_sum():
    mix = reh.ScalarMix(3)
    with torch.no_grad():
        mix.weights.copy_(torch.tensor([0.0, 1.0, 2.0]))
        mix.gamma.fill_(0.5)
    layers = torch.randn(3, 2, 4, 5)
    w = torch.softmax(torch.tensor([0.0, 1.0, 2.0]), 0)
    expected = 0.5 * (w[0] * layers[0] + w[1] * layers[1] + w[2] * layers[2])
    torch.testing.assert_close(mix(layers), expected)


def test_package_has_the_contract_names_dynamic_axes_and_metadata(tmp_path):
    manifest = reh.write_package(
        tmp_path, tiny_heads(), model_id="x-heads", version="2.0.0", bilm_id="b",
        bilm_sha256="ab" * 32, tag_labels=["A", "B", "C", "D", "E"],
        sentiment_labels=rr.SENTIMENT_LABELS, licence="l", data="d", command="c", seed=1,
        model_md="# x\n")
    assert manifest == json.loads((tmp_path / "manifest.json").read_text())
    proto = onnx.load(str(tmp_path / "heads.onnx"))
    onnx.checker.check_model(proto)
    assert {o.domain: o.version for o in proto.opset_import}[""] == 17

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    inputs = {i.name: i for i in proto.graph.input}
    outputs = {o.name: o for o in proto.graph.output}
    assert dims(inputs["layers"]) == [3, "batch", "time", 6]
    assert dims(inputs["mask"]) == ["batch", "time"]
    assert dims(outputs["tag_logits"]) == ["batch", "time", 5]
    assert dims(outputs["sentiment_logits"]) == ["batch", 2]
    assert dims(outputs["sentiment5_logits"]) == ["batch", 5]
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["rillet.model.version"] == "2.0.0" and meta["rillet.model.kind"] == "elmo-heads"
    assert meta["rillet.elmo.bilm.sha256"] == "ab" * 32


def test_word_vectors_change_the_tag_and_sentiment_outputs():
    heads = tiny_heads(5, 9)
    layers, mask = torch.randn(3, 1, 4, 6), torch.ones(1, 4)
    with torch.no_grad():
        a = heads(layers, mask, torch.tensor([[2, 5, 8, 3]]))
        b = heads(layers, mask, torch.tensor([[2, 5, 7, 3]]))
    assert (a[0][0, 2] - b[0][0, 2]).abs().max() > 1e-4
    assert (a[1] - b[1]).abs().max() > 1e-6


def test_a_package_with_word_vectors_takes_token_ids_and_ships_its_vocabulary(tmp_path):
    vocab = ["<pad>", "<unk>", "<unk:num>", "the", "film", "works", "not", "good", "."]
    manifest = reh.write_package(
        tmp_path, tiny_heads(0, len(vocab)), model_id="w-heads", version="1.0.0", bilm_id="b",
        bilm_sha256="ab" * 32, tag_labels=["A", "B", "C", "D", "E"],
        sentiment_labels=rr.SENTIMENT_LABELS, licence="l", data="d", command="c", seed=1,
        model_md="# x\n", vocab=vocab)
    assert (tmp_path / "vocab.txt").read_text().splitlines() == vocab
    assert manifest["inputs"]["tokenIds"] == "token_ids"
    assert manifest["vocabulary"] == {"file": "vocab.txt", "normalization": rr.NORMALIZATION,
                                      "unknownId": rr.UNK_ID, "paddingId": rr.PAD_ID,
                                      "unknownClasses": rr.UNKNOWN_CLASSES}
    proto = onnx.load(str(tmp_path / "heads.onnx"))
    ids = next(i for i in proto.graph.input if i.name == "token_ids")
    assert ids.type.tensor_type.elem_type == onnx.TensorProto.INT64
    with pytest.raises(ValueError, match="vocabulary"):
        reh.write_package(tmp_path / "bad", tiny_heads(0, len(vocab)), model_id="x",
                          version="1", bilm_id="b", bilm_sha256="ab" * 32, tag_labels=["A"],
                          sentiment_labels=[], licence="l", data="d", command="c", seed=1,
                          model_md="", vocab=None)


@pytest.mark.parametrize("name", ["test-elmo-heads", "test-elmo-heads-plain"])
def test_committed_test_package_matches_the_fixture_biLM_and_its_golden(name):
    pkg = rr.REPO_ROOT / "models" / name
    manifest = json.loads((pkg / "manifest.json").read_text())
    fixture = fixture_dir()
    assert manifest["bilm"]["weightsSha256"] == rel.sha256(fixture / "lm_weights.hdf5")
    assert manifest["layers"] == 3 and manifest["dim"] == 32
    golden = json.loads((pkg / "golden.json").read_text())
    bilm = rel.load_bilm(fixture / "options.json", fixture / "lm_weights.hdf5")
    for b, sentence in enumerate(golden["sentences"]):
        ids, lengths = rel.batch_to_ids([sentence])
        with torch.no_grad():
            layers, _ = bilm(ids, lengths)
        for k, layer in enumerate(layers):
            got = rel.remove_sentence_boundaries(layer, lengths)[0]
            torch.testing.assert_close(got, torch.tensor(golden["layers"][b][k]), atol=1e-5,
                                       rtol=0)
    assert ("tokenIds" in golden) == ("vocabulary" in manifest) == (name == "test-elmo-heads")
    if "tokenIds" in golden:
        vocab = (pkg / "vocab.txt").read_text(encoding="utf-8").splitlines()
        index = {w: i for i, w in enumerate(vocab)}
        assert golden["tokenIds"] == [rr.encode(s, index) for s in golden["sentences"]]
        # The golden sentences reach an unknown-word class, not only known words.
        assert any(vocab[i].startswith("<unk:") for ids in golden["tokenIds"] for i in ids)


def test_reverse_padded_reverses_each_row_within_its_length():
    x = torch.arange(2 * 4, dtype=torch.float32).reshape(2, 4, 1)
    out = reh.reverse_padded(x, torch.tensor([3, 4]))
    assert out[:, :, 0].tolist() == [[2.0, 1.0, 0.0, 3.0], [7.0, 6.0, 5.0, 4.0]]


def test_heads_with_a_context_bilstm_export_to_a_valid_graph(tmp_path):
    # ORT-vs-PyTorch parity of this path is checked in Java on models/test-elmo-heads (which
    # has the biLSTM): ElmoHeads against its golden.json, ragged batch included.
    heads = tiny_heads(context_hidden=5, layer_norm=True)
    reh.write_package(tmp_path, heads, model_id="x-heads", version="1.0.0", bilm_id="b",
                      bilm_sha256="ab" * 32, tag_labels=["A", "B", "C", "D", "E"],
                      sentiment_labels=rr.SENTIMENT_LABELS, licence="l", data="d",
                      command="c", seed=1, model_md="# x\n")
    proto = onnx.load(str(tmp_path / "heads.onnx"))
    onnx.checker.check_model(proto)
    assert {n.op_type for n in proto.graph.node} >= {"LSTM", "GatherElements"}


def test_init_word_vectors_copies_the_trained_part_of_a_recurrent_packages_table():
    import onnx.numpy_helper
    import train_elmo_heads as teh
    package = rr.REPO_ROOT / "models" / "test-gru"
    theirs = (package / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vocab = ["<pad>", "<unk>", "<unk:num>", "the", "zzzz-not-there", "report"]
    heads = tiny_heads(0, len(vocab))
    before = heads.words.weight.detach().clone()
    assert teh.init_word_vectors(heads, vocab, package) == 3  # <unk>, the, report
    table = next(onnx.numpy_helper.to_array(i) for i in
                 onnx.load(str(package / "model.onnx")).graph.initializer
                 if len(i.dims) == 2 and i.dims[0] == len(theirs))
    for mine, word in enumerate(vocab):
        got = heads.words.weight[mine].detach()
        if word in theirs and word != "<pad>":
            torch.testing.assert_close(got, torch.from_numpy(table[theirs.index(word), -3:]))
        else:
            torch.testing.assert_close(got, before[mine])
