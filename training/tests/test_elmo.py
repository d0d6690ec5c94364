"""The PyTorch biLM against the AllenNLP fixture (layout and math), HDF5 round trip, char ids."""

import json

import h5py
import numpy as np
import pytest
import torch

import rillet_elmo as re_

from conftest import fixture_dir


def test_char_ids_follow_the_allennlp_mapping():
    ids, lengths = re_.batch_to_ids([["a", "é"], ["x" * 60]])
    assert ids.shape == (2, 4, 50) and lengths.tolist() == [4, 3]
    assert ids[0, 0, :4].tolist() == [259, 257, 260, 261]  # <S>
    assert ids[0, 1, :4].tolist() == [259, 98, 260, 261]  # 'a' = byte 97, +1
    assert ids[0, 2, :5].tolist() == [259, 0xC3 + 1, 0xA9 + 1, 260, 261]
    assert ids[0, 3, :4].tolist() == [259, 258, 260, 261]  # </S>
    assert ids[1, 1, 49].item() == 260 and ids[1, 1, 48].item() == 121  # 48 bytes, then EOW
    assert ids[1, 3].abs().sum().item() == 0  # absent position


def load_fixture():
    d = fixture_dir()
    model = re_.load_bilm(d / "options.json", d / "lm_weights.hdf5")
    with open(d / "sentences.json", encoding="utf-8") as f:
        lists = json.load(f)
    expected = []
    for k in range(3):
        with h5py.File(d / f"lm_embeddings_{k}.hdf5", "r") as h5:
            expected.append([np.concatenate(list(np.asarray(h5[str(i)])), axis=1)
                             for i in range(len(lists[k]))])
    return model, lists, expected


def run_carried(model, lists):
    """Batches (list0[i], list1[i], list2[i]), state carried per row: top layer per sentence."""
    state, got = None, [[], [], []]
    with torch.no_grad():
        for i in range(len(lists[0])):
            sentences = [lists[k][i].split() for k in range(3)]
            ids, lengths = re_.batch_to_ids(sentences)
            layers, state = model(ids, lengths, state, track_state=True)
            top = re_.remove_sentence_boundaries(layers[-1], lengths)
            for k in range(3):
                got[k].append(top[k, : len(sentences[k])].numpy())
    return got


def test_first_batch_from_zero_state_reproduces_the_fixture():
    model, lists, expected = load_fixture()
    sentences = [lists[k][0].split() for k in range(3)]
    ids, lengths = re_.batch_to_ids(sentences)
    with torch.no_grad():
        layers, _ = model(ids, lengths)
    assert len(layers) == 3 and layers[0].shape[2] == 32
    top = re_.remove_sentence_boundaries(layers[-1], lengths)
    for k in range(3):
        n = len(sentences[k])
        np.testing.assert_allclose(top[k, :n].numpy(), expected[k][0], atol=1e-5)
        assert top[k, n:].abs().sum().item() == 0


def test_carrying_state_per_row_reproduces_all_thirty_sentences():
    model, lists, expected = load_fixture()
    got = run_carried(model, lists)
    for k in range(3):
        for i in range(10):
            np.testing.assert_allclose(got[k][i], expected[k][i], atol=1e-5,
                                       err_msg=f"list {k} sentence {i}")


def test_without_carried_state_later_sentences_differ():
    # Guards the test above: it must depend on the carried state.
    model, lists, expected = load_fixture()
    sentences = [lists[k][1].split() for k in range(3)]
    ids, lengths = re_.batch_to_ids(sentences)
    with torch.no_grad():
        top = re_.remove_sentence_boundaries(model(ids, lengths)[0][-1], lengths)
    assert np.abs(top[0, : len(sentences[0])].numpy() - expected[0][1]).max() > 1e-3


def test_save_then_load_gives_identical_outputs_and_the_fixture_layout(tmp_path):
    torch.manual_seed(0)
    options = re_.default_options(char_dim=4, filters=((1, 4), (2, 8), (3, 16)), n_highway=2,
                                  projection_dim=8, dim=12, n_layers=2)
    model = re_.ElmoBiLM(options).eval()
    for p in model.parameters():  # not just the init: every tensor must round-trip
        p.data.add_(torch.randn_like(p) * 0.1)
    model.encoder.char_embed.weight.data[0] = 0
    weights = re_.save_bilm(model, tmp_path)
    reloaded = re_.load_bilm(tmp_path / "options.json", weights)
    ids, lengths = re_.batch_to_ids([["Hello", "world", "!"], ["Hi"]])
    with torch.no_grad():
        a, _ = model(ids, lengths)
        b, _ = reloaded(ids, lengths)
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    with h5py.File(weights, "r") as h5:
        assert h5["char_embed"].shape == (261, 4)
        assert h5["CNN/W_cnn_2"].shape == (1, 3, 4, 16)
        assert h5["CNN_high_1/W_carry"].shape == (28, 28)
        assert h5["CNN_proj/W_proj"].shape == (28, 8)
        cell = h5["RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell"]
        assert cell["W_0"].shape == (16, 48) and cell["B"].shape == (48,)
        assert cell["W_P_0"].shape == (12, 8)
    saved = json.loads((tmp_path / "options.json").read_text())
    assert saved["char_cnn"]["n_characters"] == 262
    assert saved["lstm"]["projection_dim"] == 8
