"""ELMo task heads: per-task scalar mixes over frozen biLM layers, a per-token UPOS head and
sentence sentiment heads (SST-2, optionally SST-5); ONNX export and the package writer.

The heads package contract (read by the Java ELMo operator):

  heads.onnx  inputs  layers float32 [L+1, B, T, 2P]  (biLM activations, <S>/</S> removed,
                                                      padded positions zero)
                      mask   float32 [B, T]           (1 real token, 0 padding)
              outputs tag_logits        float32 [B, T, C]
                      sentiment_logits  float32 [B, S]
                      sentiment5_logits float32 [B, 5]  (only when the package has SST-5)
              B and T dynamic; opset 17; metadata_props rillet.model.* / rillet.training.*
              optional input token_ids  int64 [B, T]  (heads with their own word vectors: the
                                                      ids of vocab.txt, <pad> at padding)
  manifest.json  labels in logit order, the biLM it was trained on (id + sha256 of its
                 weights.hdf5), input/output names, provenance; with word vectors also the
                 vocabulary section of recurrent packages (normalization, unknown-word classes)
  vocab.txt      only with word vectors
  MODEL.md

A token's outputs depend only on its own sentence (never on the batch's padding): the
token head sees a window of +-1 position where padding is zero, and sentence pooling is
masked.
"""

import json
from pathlib import Path

import torch
from torch import nn

import rillet_recurrent as rr

OPSET = 17
SENTIMENT5_LABELS = ["very negative", "negative", "neutral", "positive", "very positive"]
NEG = -1e4  # masked scores; finite so that exp/softmax stay well defined in fp32


class ScalarMix(nn.Module):
    """gamma * sum_k softmax(w)_k * layer_k (ELMo paper eq. 1). With layer_norm each layer
    vector is first normalized to zero mean and unit variance per token (the paper's option;
    the character layer's scale is several times the LSTM layers'); a zero padding vector
    stays zero."""

    def __init__(self, n_layers, layer_norm=False):
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(n_layers))
        self.gamma = nn.Parameter(torch.ones(()))
        self.layer_norm = layer_norm

    def forward(self, layers):  # [K, B, T, D] -> [B, T, D]
        if self.layer_norm:
            # Written out (not F.layer_norm) so that it exports with a dynamic batch and time.
            centred = layers - layers.mean(dim=-1, keepdim=True)
            layers = centred / torch.sqrt(centred.pow(2).mean(dim=-1, keepdim=True) + 1e-5)
        w = torch.softmax(self.weights, dim=0)
        return self.gamma * (layers * w.view(-1, 1, 1, 1)).sum(dim=0)


def reverse_padded(x, lengths):
    """Reverses each row's first lengths[b] positions of x [B, T, D], leaving padding in place
    (what ONNX ReverseSequence does), with gather so it exports as plain ops."""
    steps = torch.arange(x.shape[1]).unsqueeze(0)
    n = lengths.unsqueeze(1)
    index = torch.where(steps < n, n - 1 - steps, steps)
    return x.gather(1, index.unsqueeze(2).expand(-1, -1, x.shape[2]))


class Context(nn.Module):
    """A task biLSTM over the mixed biLM layers (as in the ELMo paper, where ELMo feeds a task
    model): [B, T, D] -> [B, T, 2H + D] (both directions, then the input). The backward LSTM
    reads each sentence reversed by its own length, so padding never reaches a real token."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.forward_lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.backward_lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.out_dim = 2 * hidden + dim

    def forward(self, x, mask):
        lengths = mask.sum(dim=1).long()
        ahead, _ = self.forward_lstm(x)
        behind, _ = self.backward_lstm(reverse_padded(x, lengths))
        both = torch.cat([ahead, reverse_padded(behind, lengths), x], dim=2)
        return both * mask.unsqueeze(2)


def with_words(mixed, words):
    """The mixed biLM layers [B, T, D], joined with the heads' own word vectors [B, T, E] when
    the package has them (ELMo paper section 3.3: ELMo joins the task model's context-free
    token representation)."""
    return mixed if words is None else torch.cat([mixed, words], dim=2)


class TokenHead(nn.Module):
    """mix -> conv over a +-1 window (zero at padding) + ReLU -> linear -> C logits."""

    def __init__(self, n_layers, dim, hidden, n_labels, dropout, context_hidden=0,
                 layer_norm=False):
        super().__init__()
        self.mix = ScalarMix(n_layers, layer_norm)
        self.context = Context(dim, context_hidden) if context_hidden else None
        width = self.context.out_dim if self.context is not None else dim
        self.conv = nn.Conv1d(width, hidden, kernel_size=3, padding=1)
        self.out = nn.Linear(hidden + width, n_labels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, layers, mask, words=None):
        x = self.dropout(with_words(self.mix(layers), words)) * mask.unsqueeze(2)
        if self.context is not None:
            x = self.dropout(self.context(x, mask))
        h = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)
        return self.out(self.dropout(torch.cat([h, x], dim=2)))


class SentenceHead(nn.Module):
    """mix -> per-token ReLU layer -> [attention pool; masked mean; masked max] -> MLP -> S."""

    def __init__(self, n_layers, dim, hidden, n_labels, dropout, context_hidden=0,
                 layer_norm=False):
        super().__init__()
        self.mix = ScalarMix(n_layers, layer_norm)
        self.context = Context(dim, context_hidden) if context_hidden else None
        self.token = nn.Linear(self.context.out_dim if self.context is not None else dim, hidden)
        self.score = nn.Linear(hidden, 1)
        self.hidden = nn.Linear(3 * hidden, hidden)
        self.out = nn.Linear(hidden, n_labels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, layers, mask, words=None):
        x = self.dropout(with_words(self.mix(layers), words))
        if self.context is not None:
            x = self.dropout(self.context(x * mask.unsqueeze(2), mask))
        h = torch.relu(self.token(x))  # [B, T, H]
        m = mask.unsqueeze(2)
        scores = self.score(h) * m + (1.0 - m) * NEG
        attended = (torch.softmax(scores, dim=1) * h).sum(dim=1)
        mean = (h * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        peak = (h * m + (1.0 - m) * NEG).max(dim=1).values
        pooled = self.dropout(torch.cat([attended, mean, peak], dim=1))
        return self.out(self.dropout(torch.relu(self.hidden(pooled))))


class ElmoHeads(nn.Module):
    """forward(layers [K, B, T, D], mask [B, T]) -> (tag_logits, sentiment_logits[,
    sentiment5_logits])."""

    def __init__(self, n_layers, dim, n_tags, n_sentiment, n_sentiment5=0, tag_hidden=256,
                 sentence_hidden=128, dropout=0.3, context_hidden=0, vocab_size=0,
                 word_dim=0, layer_norm=False):
        super().__init__()
        self.n_layers, self.dim = n_layers, dim
        self.words = (nn.Embedding(vocab_size, word_dim, padding_idx=rr.PAD_ID)
                      if vocab_size else None)
        width = dim + (word_dim if vocab_size else 0)
        self.tag = TokenHead(n_layers, width, tag_hidden, n_tags, dropout, context_hidden,
                             layer_norm)
        self.sentiment = SentenceHead(n_layers, width, sentence_hidden, n_sentiment, dropout,
                                      context_hidden, layer_norm)
        self.sentiment5 = (SentenceHead(n_layers, width, sentence_hidden, n_sentiment5, dropout,
                                        context_hidden, layer_norm) if n_sentiment5 else None)

    def word_vectors(self, token_ids):
        """[B, T] ids -> [B, T, E] word vectors, or None for a package without them."""
        return None if self.words is None else self.words(token_ids)

    def forward(self, layers, mask, token_ids=None):
        words = self.word_vectors(token_ids)
        outputs = (self.tag(layers, mask, words), self.sentiment(layers, mask, words))
        if self.sentiment5 is not None:
            outputs += (self.sentiment5(layers, mask, words),)
        return outputs

    def output_names(self):
        return ["tag_logits", "sentiment_logits"] + (
            ["sentiment5_logits"] if self.sentiment5 is not None else [])


def export_onnx(model, path, metadata):
    """Eval-mode export with dynamic B and T, metadata_props added, checked, saved."""
    model.eval()
    layers = torch.randn(model.n_layers, 2, 4, model.dim)
    mask = torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
    names = model.output_names()
    dynamic = {"layers": {1: "batch", 2: "time"}, "mask": {0: "batch", 1: "time"},
               "tag_logits": {0: "batch", 1: "time"}}
    for name in names[1:]:
        dynamic[name] = {0: "batch"}
    inputs, input_names = (layers, mask), ["layers", "mask"]
    if model.words is not None:
        inputs += (torch.tensor([[2, 3, 4, 5], [6, 7, rr.PAD_ID, rr.PAD_ID]]),)
        input_names.append("token_ids")
        dynamic["token_ids"] = {0: "batch", 1: "time"}
    with torch.no_grad():
        torch.onnx.export(model, inputs, str(path), input_names=input_names,
                          output_names=names, dynamic_axes=dynamic, opset_version=OPSET,
                          do_constant_folding=True)
    rr.stamp_metadata(path, metadata)


def write_package(out_dir, model, *, model_id, version, bilm_id, bilm_sha256, tag_labels,
                  sentiment_labels, licence, data, command, seed, model_md, vocab=None):
    """Writes heads.onnx, manifest.json and MODEL.md (and vocab.txt for heads with word
    vectors: vocab is then their vocabulary, built by rr.build_vocab with unknown-word
    classes); returns the manifest."""
    if (vocab is None) != (model.words is None) or (
            vocab is not None and len(vocab) != model.words.num_embeddings):
        raise ValueError("heads with word vectors need their vocabulary (and only they do)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metadata = {
        "rillet.model.id": model_id,
        "rillet.model.version": version,
        "rillet.model.kind": "elmo-heads",
        "rillet.elmo.bilm.id": bilm_id,
        "rillet.elmo.bilm.sha256": bilm_sha256,
        "rillet.training.data": data,
        "rillet.training.command": command,
        "rillet.training.seed": str(seed),
    }
    export_onnx(model, out_dir / "heads.onnx", metadata)
    outputs = {"tagLogits": "tag_logits", "sentimentLogits": "sentiment_logits"}
    if model.sentiment5 is not None:
        outputs["sentiment5Logits"] = "sentiment5_logits"
    manifest = {
        "id": model_id,
        "version": version,
        "kind": "elmo-heads",
        "file": "heads.onnx",
        "layers": model.n_layers,
        "dim": model.dim,
        "inputs": ({"layers": "layers", "mask": "mask"} if vocab is None else
                   {"layers": "layers", "mask": "mask", "tokenIds": "token_ids"}),
        "outputs": outputs,
        "bilm": {"id": bilm_id, "weightsSha256": bilm_sha256},
        "tagLabels": list(tag_labels),
        "sentimentLabels": list(sentiment_labels),
        "sentiment5Labels": list(SENTIMENT5_LABELS) if model.sentiment5 is not None else [],
        "licence": licence,
        "provenance": {"data": data, "command": command, "seed": str(seed)},
    }
    if vocab is not None:
        with open(out_dir / "vocab.txt", "w", encoding="utf-8", newline="\n") as f:
            for token in vocab:
                f.write(token + "\n")
        manifest["vocabulary"] = {"file": "vocab.txt", "normalization": list(rr.NORMALIZATION),
                                  "unknownId": rr.UNK_ID, "paddingId": rr.PAD_ID,
                                  "unknownClasses": rr.UNKNOWN_CLASSES}
    with open(out_dir / "manifest.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(out_dir / "MODEL.md", "w", encoding="utf-8", newline="\n") as f:
        f.write(model_md)
    return manifest
