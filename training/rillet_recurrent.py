"""Shared pieces of the recurrent step model recipes: data readers, normalization,
vocabulary, the PyTorch model, ONNX export and package writing.

The package contract is documented in docs/model-packages.md; the Java side that reads it is
dev.rillet.onnx.RecurrentModelPackage. Keep both in step.
"""

import collections
import json
import os
import subprocess
from pathlib import Path

import onnx
import torch
from torch import nn

import rillet_kernels

REPO_ROOT = Path(__file__).resolve().parent.parent

# The 17 UD v2 universal POS tags, in the fixed (alphabetical) order every package uses.
UPOS_LABELS = [
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
    "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X",
]
SENTIMENT_LABELS = ["negative", "positive"]

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
NORMALIZATION = ["lowercase", "digits"]
OPSET = 17

CELLS = ("gru", "lstm", "rnn")


def data_root():
    """$RILLET_DATA, else ../shared/data relative to the repository root."""
    env = os.environ.get("RILLET_DATA")
    return Path(env) if env else (REPO_ROOT / ".." / "shared" / "data").resolve()


def check_data(data, *folders):
    """Exits naming --data, $RILLET_DATA and the fix unless data holds every one of folders
    (e.g. "ud-ewt", "sst"), so a recipe fails at startup with one line, not with a traceback
    from the first file it opens."""
    missing = [f for f in folders if not (Path(data) / f).is_dir()]
    if missing:
        source = ("$RILLET_DATA" if os.environ.get("RILLET_DATA") == str(data) else "--data")
        raise SystemExit(f"{source} {data}: no {', '.join(f + '/' for f in missing)} there; "
                         "point --data (or $RILLET_DATA) at the shared data folder that holds "
                         f"{', '.join(f + '/' for f in folders)} (../shared/data)")


def normalize(token, normalization=NORMALIZATION):
    """The steps named in normalization, in this order: 'lowercase' (str.lower), 'digits'
    (every Unicode decimal digit, category Nd, becomes ASCII '0').

    Must equal dev.rillet.onnx.Vocabulary#normalize (Java: toLowerCase(Locale.ROOT), then
    Character.isDigit per code point)."""
    lowered = token.lower() if "lowercase" in normalization else token
    if "digits" not in normalization or not any(ch.isdecimal() for ch in lowered):
        return lowered
    return "".join("0" if ch.isdecimal() else ch for ch in lowered)


# Unknown-word classes, scheme "shape-suffix-1": must equal dev.rillet.onnx.UnknownWordClasses
# (both are pinned by operators/src/test/resources/dev/rillet/onnx/unknown-word-classes.tsv).
UNKNOWN_CLASSES = "shape-suffix-1"
UNKNOWN_SUFFIXES = ["ing", "ed", "ly", "tion", "sion", "ness", "ment", "able", "ible", "less",
                    "ful", "ous", "ive", "ize", "ise", "ism", "ist", "ity", "est", "er", "al",
                    "ic", "ish", "an", "en", "y", "s"]


def unknown_class_names():
    """Every class name of the scheme, in the Java index order."""
    names = [f"<unk:{single}>" for single in ("url", "email", "punct", "num", "alnum")]
    for shape in ("lower", "cap", "upper"):
        for hyphen in ("", "-hyphen"):
            names.append(f"<unk:{shape}{hyphen}>")
            names += [f"<unk:{shape}{hyphen}:-{suffix}>" for suffix in UNKNOWN_SUFFIXES]
    return names


def _ascii_lower(text):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def unknown_class(token):
    """The class name of a raw (not normalized) token; see UnknownWordClasses for the rules."""
    if _ascii_lower(token[:4]) == "www." or "://" in token:
        return "<unk:url>"
    at = token.find("@", 1)
    if at >= 1 and "." in token[at + 1:]:
        return "<unk:email>"
    letters = [c for c in token if c.isalpha()]
    has_digit = any(c.isdecimal() for c in token)
    if not letters:
        return "<unk:num>" if has_digit else "<unk:punct>"
    if has_digit:
        return "<unk:alnum>"
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        shape = "upper"
    elif letters[0].isupper():
        shape = "cap"
    else:
        shape = "lower"
    if "-" in token:
        shape += "-hyphen"
    lowered = _ascii_lower(token)
    for suffix in UNKNOWN_SUFFIXES:
        if len(token) - len(suffix) >= 2 and lowered.endswith(suffix):
            return f"<unk:{shape}:-{suffix}>"
    return f"<unk:{shape}>"


def read_conllu(path):
    """Sentences of (form, upos) from a CoNLL-U file; multiword ranges and empty nodes skipped."""
    return [sentence for document in read_conllu_documents(path) for sentence in document]


def read_conllu_documents(path):
    """Documents (split at '# newdoc' comments) as lists of sentences of (form, upos);
    multiword ranges and empty nodes skipped. A file without newdoc comments is one document."""
    documents, sentences, current = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# newdoc"):
                if sentences:
                    documents.append(sentences)
                    sentences = []
                continue
            if not line:
                if current:
                    sentences.append(current)
                    current = []
                continue
            if line.startswith("#"):
                continue
            cols = line.split("\t")
            if "-" in cols[0] or "." in cols[0]:
                continue
            current.append((cols[1], cols[3]))
    if current:
        sentences.append(current)
    if sentences:
        documents.append(sentences)
    return documents


# How the recipes' SST text was tokenized, for model cards and ONNX metadata.
SST_TOKENS = "SST tokens as ./rillet tokenize --format sst makes them"


def read_sst(path):
    """(label, tokens) pairs from an stsa.* file, with the tokens the Java tokenizer makes of each
    sentence, read as `./rillet eval` reads it (`./rillet tokenize --format sst`: PTB brackets
    and quotes restored, clitics and hyphens split as in UD EWT). SST's own tokenization differs
    in many sentences ("sci-fi", "-lrb-"); training on it would teach the models
    tokens the live job never gives them."""
    command = [str(REPO_ROOT / "rillet"), "tokenize", "--format", "sst", "--input",
               str(Path(path).resolve())]
    done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed (exit {done.returncode}); it needs Java 17 "
                           f"and Maven to build the jar:\n{done.stderr.strip()}")
    return _labelled_tokens(done.stdout.splitlines())


def read_sst_as_written(path):
    """(label, tokens) pairs from an stsa.* file split at spaces, in SST's own tokenization. Only
    for language-model text, which is taken as its corpus writes it (see read_sst)."""
    with open(path, encoding="utf-8") as f:
        return _labelled_tokens(f)


def _labelled_tokens(lines):
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2:
            out.append((int(parts[0]), parts[1:]))
    return out


def is_special(entry):
    """True for vocabulary entries that are not word forms: <pad>, <unk>, <unk:...> classes."""
    return entry.startswith("<") and entry.endswith(">")


def build_vocab(token_lists, max_size, min_count=1, normalization=NORMALIZATION,
                class_min_count=None):
    """<pad>, <unk>, then (when class_min_count is set) the unknown-word classes of at least
    class_min_count training tokens in scheme order, then normalized forms by descending
    frequency, ties by form (stable)."""
    counts = collections.Counter(normalize(t, normalization) for tokens in token_lists
                                 for t in tokens)
    counts.pop(PAD, None)
    counts.pop(UNK, None)
    classes = []
    if class_min_count is not None:
        class_counts = collections.Counter(unknown_class(t) for tokens in token_lists
                                           for t in tokens)
        classes = [c for c in unknown_class_names() if class_counts[c] >= class_min_count]
        for c in classes:
            counts.pop(c, None)
    ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return [PAD, UNK] + classes + ranked[: max_size - 2 - len(classes)]


def command_line(script, args, skip=()):
    """The command that reruns a recipe, for model cards: `python3 training/<script>` then
    every argparse option except those named in skip and unset (None) ones; a true boolean is a
    bare flag and a false one is left out; a path inside the repository is written relative to
    it (so the command runs from the repository root)."""
    parts = ["python3", f"training/{script}"]
    for name, value in vars(args).items():
        if name in skip or value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            parts.append(flag)
            continue
        if isinstance(value, Path) and value.resolve().is_relative_to(REPO_ROOT):
            value = value.resolve().relative_to(REPO_ROOT)
        parts += [flag, str(value)]
    return " ".join(parts)


def run_provenance(seed, threads):
    """A model card's lines on how its run computed: seed, torch, threads, CPU kernels."""
    return (f"- Seed: {seed}; torch {torch.__version__}; {threads} threads\n"
            f"- {rillet_kernels.describe()}")


def add_seed_option(parser, default):
    """--seed N: runs a recipe with another seed than its fixed one (seed studies). Unset by
    default, so command_line leaves it out and a shipped card's command stays the one that made
    it; a run with --seed has it in its command line and card."""
    parser.add_argument("--seed", type=int, default=None,
                        help=f"random seed (default {default}, the recipe's fixed seed)")


def recipe_seed(args, default):
    """The seed a run uses: --seed when given, else the recipe's fixed one."""
    return default if args.seed is None else args.seed


def class_ids(tokens, index):
    """Per token, the id of its unknown-word class in index, else <unk>: what a word turns into
    when word dropout removes it (and what encode gives for a word not in index)."""
    return [index.get(unknown_class(t), UNK_ID) for t in tokens]


def encode(tokens, index, normalization=NORMALIZATION):
    """Ids as Java's Vocabulary gives them: the normalized form's id, else the token's unknown
    class id when the vocabulary has that class, else <unk>."""
    ids = []
    for t in tokens:
        i = index.get(normalize(t, normalization))
        ids.append(index.get(unknown_class(t), UNK_ID) if i is None else i)
    return ids


class WordDropout:
    """Replaces a word's id by its unknown-word class id (or <unk>) with probability
    alpha / (alpha + count) + uniform (training only), so the classes learn what unseen words
    look like."""

    def __init__(self, vocab, counts, alpha, uniform, generator):
        prob = [0.0 if is_special(w) else
                alpha / (alpha + counts[w]) + uniform for w in vocab]
        self.prob = torch.tensor(prob).clamp(max=1.0)
        self.generator = generator

    def __call__(self, ids, class_ids):
        drop = torch.rand(ids.shape, generator=self.generator) < self.prob[ids]
        return torch.where(drop, class_ids, ids)


def state_names(cell):
    """(input names, output names) of the state tensors for a cell."""
    if cell == "lstm":
        return ["h_in", "c_in"], ["h_out", "c_out"]
    return ["state_in"], ["state_out"]


class RecurrentTagger(nn.Module):
    """embedding -> GRU/LSTM/RNN (batch_first) -> per-position tag (and sentiment) heads.

    forward(token_ids [B,T], *states [L,B,H]) -> (tag_logits [B,T,C],
    [sentiment_logits [B,T,S],] *new_states [L,B,H])."""

    def __init__(self, cell, vocab_size, embedding, hidden, layers, n_tags, n_sentiment,
                 dropout=0.0):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
        self.cell, self.hidden, self.layers = cell, hidden, layers
        self.embedding = nn.Embedding(vocab_size, embedding, padding_idx=PAD_ID)
        rnn_class = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[cell]
        self.rnn = rnn_class(embedding, hidden, num_layers=layers, batch_first=True,
                             dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.tag_head = nn.Linear(hidden, n_tags)
        self.sentiment_head = nn.Linear(hidden, n_sentiment) if n_sentiment else None

    def zero_states(self, batch):
        n = 2 if self.cell == "lstm" else 1
        return tuple(torch.zeros(self.layers, batch, self.hidden) for _ in range(n))

    def forward(self, token_ids, *states):
        return self.forward_embedded(self.embedding(token_ids), *states)

    def forward_embedded(self, embedded, *states):
        """forward() from the embedded tokens [B,T,E] (recipes that build the embedding
        from several tables for training, then export it as one)."""
        x = self.dropout(embedded)
        if self.cell == "lstm":
            out, (h, c) = self.rnn(x, (states[0], states[1]))
            new_states = (h, c)
        else:
            out, h = self.rnn(x, states[0])
            new_states = (h,)
        out = self.dropout(out)
        outputs = (self.tag_head(out),)
        if self.sentiment_head is not None:
            outputs += (self.sentiment_head(out),)
        return outputs + new_states


def export_onnx(model, path, metadata):
    """Exports in eval mode with dynamic B and T, adds metadata_props, checks, saves."""
    model.eval()
    in_states, out_states = state_names(model.cell)
    ids = torch.ones(2, 3, dtype=torch.long)
    states = model.zero_states(2)
    outputs = ["tag_logits"] + (["sentiment_logits"] if model.sentiment_head is not None else [])
    outputs += out_states
    dynamic = {"token_ids": {0: "batch", 1: "time"}, "tag_logits": {0: "batch", 1: "time"}}
    if model.sentiment_head is not None:
        dynamic["sentiment_logits"] = {0: "batch", 1: "time"}
    for name in in_states + out_states:
        dynamic[name] = {1: "batch"}
    with torch.no_grad():
        torch.onnx.export(model, (ids,) + states, str(path), input_names=["token_ids"] + in_states,
                          output_names=outputs, dynamic_axes=dynamic, opset_version=OPSET,
                          do_constant_folding=True)
    stamp_metadata(path, metadata)


def stamp_metadata(path, metadata):
    """Replaces an exported ONNX file's metadata_props with metadata (sorted keys, string
    values), checks the model and saves it in place."""
    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    for key in sorted(metadata):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(metadata[key])
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def write_package(out_dir, model, vocab, *, model_id, version, licence, data, command, seed,
                  tag_labels, sentiment_labels, model_md, normalization=NORMALIZATION,
                  purpose=None, unknown_classes=False):
    """Writes model.onnx, vocab.txt, manifest.json and MODEL.md into out_dir; returns manifest.

    purpose: optional manifest "purpose" ("demo" marks a small model for showing the pipeline).
    unknown_classes: the vocabulary holds UNKNOWN_CLASSES entries (manifest
    vocabulary.unknownClasses)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    provenance = {"data": data, "command": command, "seed": str(seed)}
    metadata = {
        "rillet.model.id": model_id,
        "rillet.model.version": version,
        "rillet.model.kind": "recurrent",
        "rillet.model.cell": model.cell,
        "rillet.training.data": data,
        "rillet.training.command": command,
        "rillet.training.seed": str(seed),
    }
    export_onnx(model, out_dir / "model.onnx", metadata)
    with open(out_dir / "vocab.txt", "w", encoding="utf-8", newline="\n") as f:
        for token in vocab:
            f.write(token + "\n")
    in_states, out_states = state_names(model.cell)
    outputs = {"tagLogits": "tag_logits"}
    if model.sentiment_head is not None:
        outputs["sentimentLogits"] = "sentiment_logits"
    outputs["states"] = out_states
    manifest = {
        "id": model_id,
        "version": version,
        "kind": "recurrent",
        "cell": model.cell,
        "file": "model.onnx",
        "layers": model.layers,
        "hidden": model.hidden,
        "inputs": {"tokenIds": "token_ids", "states": in_states},
        "outputs": outputs,
        "vocabulary": {"file": "vocab.txt", "normalization": list(normalization),
                       "unknownId": UNK_ID, "paddingId": PAD_ID},
        "tagLabels": list(tag_labels),
        "sentimentLabels": list(sentiment_labels) if model.sentiment_head is not None else [],
        "licence": licence,
        "provenance": provenance,
    }
    if unknown_classes:
        manifest["vocabulary"]["unknownClasses"] = UNKNOWN_CLASSES
    if purpose is not None:
        manifest["purpose"] = purpose
    with open(out_dir / "manifest.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(out_dir / "MODEL.md", "w", encoding="utf-8", newline="\n") as f:
        f.write(model_md)
    return manifest
