"""Builds the small test packages models/test-gru, models/test-lstm, models/test-rnn,
models/test-elmo-heads (with word vectors) and models/test-elmo-heads-plain (without).

They are randomly initialised (fixed seed), NOT trained: they exist so that the Java side
can be tested against real ONNX graphs of every cell type. Each package also holds
golden.json: PyTorch's outputs for one raw token sequence, so Java can check that ONNX
Runtime and its own Vocabulary agree with PyTorch.

    /usr/bin/python3 training/make_test_models.py [--data DIR] [--out DIR]

Deterministic: rerunning gives the same weights, vocabulary and manifests.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rillet_kernels  # noqa: E402

rillet_kernels.pin()  # before torch loads OpenBLAS, which reads the pins only then

import torch  # noqa: E402

import rillet_elmo as rel  # noqa: E402
import rillet_elmo_heads as reh  # noqa: E402
import rillet_recurrent as rr  # noqa: E402

SEED = 20240601
VOCAB_SIZE = 2000
EMBEDDING = 16
HIDDEN = 24
LAYERS = {"gru": 2, "lstm": 2, "rnn": 1}
VERSION = "1.0.0"
# Mixed case, digits, punctuation and an unknown word: exercises normalization end to end.
GOLDEN_TOKENS = ["The", "2019", "Report", "was", "GOOD", ",", "not", "great", "!", "Zyxwvut"]

MODEL_MD = """# {model_id} — test fixture, not a real model

Randomly initialised {cell_upper} ({layers} layer(s), hidden {hidden}, embedding {embedding}),
**never trained**. Its outputs are meaningless. It exists so the Java code
(`dev.rillet.onnx`) can be tested against a real ONNX graph of this cell type.

- Vocabulary: `<pad>`, `<unk>` and the {vocab_rest} most frequent normalized
  (lower-cased, digits -> `0`) word forms of UD English EWT v2.16 train.
- Tag labels: the 17 UPOS tags; sentiment labels: negative, positive (untrained heads).
- Command: `{command}`
- Seed: {seed}
- Data: {data}
- Licence: {licence}
- `golden.json`: PyTorch outputs for `golden.tokens` from the zero state (for Java tests).
"""

LICENCE = ("Test fixture. Vocabulary derived from UD English EWT (CC BY-SA 4.0); "
           "weights random, no training data")


def golden(model, vocab, cell):
    index = {w: i for i, w in enumerate(vocab)}
    ids = rr.encode(GOLDEN_TOKENS, index)
    model.eval()
    with torch.no_grad():
        outputs = model(torch.tensor([ids]), *model.zero_states(1))
    in_states, _ = rr.state_names(cell)
    n_states = len(in_states)
    states = outputs[-n_states:]
    return {
        "tokens": GOLDEN_TOKENS,
        "ids": ids,
        "tagLogits": [[round(v, 7) for v in row] for row in outputs[0][0].tolist()],
        "sentimentLogits": [[round(v, 7) for v in row] for row in outputs[1][0].tolist()],
        "finalStates": [[round(v, 7) for v in s[:, 0, :].reshape(-1).tolist()] for s in states],
    }


# Two sentences of different lengths in one batch: golden outputs must not depend on padding.
HEADS_GOLDEN_SENTENCES = [["The", "2019", "report", "was", "not", "great", "."],
                          ["Hello", "Zyxwvuting", "!"]]

HEADS_WORD_DIM = 4
HEADS_VOCAB_SIZE = 300

HEADS_MODEL_MD = """# {model_id} — test fixture, not a real model

Randomly initialised ELMo task heads (`rillet_elmo_heads.ElmoHeads`: scalar mixes, a task
biLSTM of 6 units per direction in each head, as the shipped recipe has, UPOS head, SST-2 and
SST-5 sentence heads; {words}), **never trained**. Its outputs are meaningless. It
matches the ELMo fixture biLM (`../shared/data/elmo-fixture`: 3 layers of 32) so the Java
side can test the sentence path (fixture biLM -> heads.onnx) against real ONNX graphs.

- Command: `{command}`
- Seed: {seed}
- biLM: elmo-fixture, lm_weights.hdf5 sha256 `{sha}`
- Licence: {licence}
- `golden.json`: for `golden.sentences` (one batch, from the zero state): the fixture biLM's
  layers (`<S>`/`</S>` removed) per sentence, the token ids (with word vectors) and PyTorch's
  head outputs per sentence.
"""

HEADS_LICENCE = "Test fixture; weights random, no training data (fixture biLM: Apache-2.0)"


def make_test_heads(data, out_dir, vocab):
    """vocab: the heads' word-vector vocabulary, or None for heads without word vectors."""
    fixture = data / "elmo-fixture"
    bilm = rel.load_bilm(fixture / "options.json", fixture / "lm_weights.hdf5")
    sha = rel.sha256(fixture / "lm_weights.hdf5")
    torch.manual_seed(SEED)
    heads = reh.ElmoHeads(n_layers=3, dim=32, n_tags=len(rr.UPOS_LABELS),
                          n_sentiment=len(rr.SENTIMENT_LABELS),
                          n_sentiment5=len(reh.SENTIMENT5_LABELS), tag_hidden=16,
                          sentence_hidden=8, dropout=0.0, context_hidden=6,
                          vocab_size=len(vocab) if vocab else 0,
                          word_dim=HEADS_WORD_DIM if vocab else 0).eval()
    command = "python3 training/make_test_models.py"
    words = (f"its own word vectors ({HEADS_WORD_DIM} dims; vocab.txt: <pad>, <unk>, the "
             f"unknown-word classes and the most frequent EWT train forms, {len(vocab)} in all) "
             "joined to the mixed layers" if vocab else "no word vectors of its own")
    md = HEADS_MODEL_MD.format(model_id=out_dir.name, command=command, seed=SEED, sha=sha,
                               licence=HEADS_LICENCE, words=words)
    reh.write_package(out_dir, heads, model_id=out_dir.name, version=VERSION,
                      bilm_id="elmo-fixture", bilm_sha256=sha, tag_labels=rr.UPOS_LABELS,
                      sentiment_labels=rr.SENTIMENT_LABELS, licence=HEADS_LICENCE,
                      data="none (random weights)", command=command, seed=SEED, model_md=md,
                      vocab=vocab)
    ids, lengths = rel.batch_to_ids(HEADS_GOLDEN_SENTENCES)
    token_ids = None
    if vocab:
        index = {w: i for i, w in enumerate(vocab)}
        token_ids = torch.full((len(HEADS_GOLDEN_SENTENCES), int(lengths.max()) - 2), rr.PAD_ID)
        for b, sentence in enumerate(HEADS_GOLDEN_SENTENCES):
            token_ids[b, : len(sentence)] = torch.tensor(rr.encode(sentence, index))
    with torch.no_grad():
        layers, _ = bilm(ids, lengths)
        stacked = torch.stack([rel.remove_sentence_boundaries(x, lengths) for x in layers])
        mask = (torch.arange(stacked.shape[2]).unsqueeze(0) < (lengths - 2).unsqueeze(1)).float()
        tags, sentiment, sentiment5 = heads(stacked, mask, token_ids)

    def r(values):
        return [[round(v, 7) for v in row] for row in values.tolist()]

    golden_out = {"sentences": HEADS_GOLDEN_SENTENCES, "layers": [], "tagLogits": [],
                  "sentimentLogits": r(sentiment), "sentiment5Logits": r(sentiment5)}
    if vocab:
        golden_out["tokenIds"] = [token_ids[b, : len(s)].tolist()
                                  for b, s in enumerate(HEADS_GOLDEN_SENTENCES)]
    for b, sentence in enumerate(HEADS_GOLDEN_SENTENCES):
        n = len(sentence)
        golden_out["layers"].append([r(stacked[k, b, :n]) for k in range(stacked.shape[0])])
        golden_out["tagLogits"].append(r(tags[b, :n]))
    with open(out_dir / "golden.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(golden_out, f)
        f.write("\n")
    size = sum(p.stat().st_size for p in out_dir.iterdir())
    print(f"{out_dir}: {size} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=rr.data_root())
    parser.add_argument("--out", type=Path, default=rr.REPO_ROOT / "models")
    args = parser.parse_args()
    torch.set_num_threads(1)

    train = args.data / "ud-ewt" / "en_ewt-ud-train.conllu"
    vocab = rr.build_vocab([[w for w, _ in s] for s in rr.read_conllu(train)], VOCAB_SIZE)
    data = "UD English EWT v2.16 en_ewt-ud-train.conllu (vocabulary only)"
    command = "python3 training/make_test_models.py"
    for cell, layers in LAYERS.items():
        torch.manual_seed(SEED)
        model = rr.RecurrentTagger(cell, len(vocab), EMBEDDING, HIDDEN, layers,
                                   len(rr.UPOS_LABELS), len(rr.SENTIMENT_LABELS))
        model_id = f"test-{cell}"
        out_dir = args.out / model_id
        md = MODEL_MD.format(model_id=model_id, cell_upper=cell.upper(), layers=layers,
                             hidden=HIDDEN, embedding=EMBEDDING, vocab_rest=len(vocab) - 2,
                             command=command, seed=SEED, data=data, licence=LICENCE)
        rr.write_package(out_dir, model, vocab, model_id=model_id, version=VERSION,
                         licence=LICENCE, data=data, command=command, seed=SEED,
                         tag_labels=rr.UPOS_LABELS, sentiment_labels=rr.SENTIMENT_LABELS,
                         model_md=md)
        with open(out_dir / "golden.json", "w", encoding="utf-8", newline="\n") as f:
            json.dump(golden(model, vocab, cell), f)
            f.write("\n")
        size = sum(p.stat().st_size for p in out_dir.iterdir())
        print(f"{out_dir}: {size} bytes")
    heads_vocab = rr.build_vocab([[w for w, _ in s] for s in rr.read_conllu(train)],
                                 HEADS_VOCAB_SIZE, class_min_count=20)
    make_test_heads(args.data, args.out / "test-elmo-heads", heads_vocab)
    make_test_heads(args.data, args.out / "test-elmo-heads-plain", None)


if __name__ == "__main__":
    main()
