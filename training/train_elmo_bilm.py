"""Pre-trains the ELMo biLM package models/elmo-bilm (options.json + weights.hdf5 + MODEL.md).

The biLM (rillet_elmo.ElmoBiLM: char CNN, highway, projection, forward and backward stacks of
LSTMs with projection, clipping, residual) is trained as a forward and a backward language
model on single sentences (each from the zero state, with <S> and </S>): the forward top
layer at position t predicts the word at t+1, the backward one the word at t-1. Both share
one adaptive softmax over a word vocabulary built from the training text only (it is not
part of the ELMo file; vocab.txt is written next to it for reference).

Training text: ../shared/data/corpus (Gutenberg books, WikiText-2 valid) + UD EWT train forms
+ SST train sentences (stsa.fine.train, which contains the SST-2 train sentences; language-model
text is taken in each source's own tokenization, SST's included). Held out:
WikiText-2 test (never trained on), whose forward and backward perplexity goes in MODEL.md.
The run is a fixed number of steps with fixed seeds, so reruns repeat it; checkpoints in
--work let an interrupted run continue with --resume.

    /usr/bin/python3 training/train_elmo_bilm.py [--steps N] [--resume]
"""

import argparse
import collections
import math
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

SEED = 7
MODEL_ID = "elmo-bilm"
UNK_WORD = "<UNK>"
WIKI_ESCAPES = {"@-@": "-", "@,@": ",", "@.@": "."}
SENTENCE_ENDS = {".", "?", "!"}


def chunk(tokens, max_tokens):
    return [tokens[i:i + max_tokens] for i in range(0, len(tokens), max_tokens)]


def read_gutenberg(path, max_tokens):
    """One sentence per line, already tokenised; the first line is a [ Title ] header."""
    out = []
    with open(path, encoding="utf-8") as f:
        next(f, None)
        for line in f:
            tokens = line.split()
            if tokens:
                out += chunk(tokens, max_tokens)
    return out


def read_wikitext(path, max_tokens):
    """Paragraph lines split into sentences after . ? !; headings (= x =) skipped; the
    @-@ style escapes undone."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            tokens = [WIKI_ESCAPES.get(t, t) for t in line.split()]
            if not tokens or tokens[0] == "=":
                continue
            current = []
            for token in tokens:
                current.append(token)
                if token in SENTENCE_ENDS:
                    out += chunk(current, max_tokens)
                    current = []
            if current:
                out += chunk(current, max_tokens)
    return out


def training_sentences(data, max_tokens, sst_tokens="as-written", task_text_repeat=1):
    """(training sentences, held-out sentences, description of the data).

    sst_tokens: "java" reads SST through the Java tokenizer (rr.read_sst), the tokens the task
    heads and the live job give the biLM; "as-written" splits SST's own tokenization.
    task_text_repeat: the task heads' training text (EWT train, SST train) goes in this many
    times, so the language model sees more of the domains the heads are trained on."""
    corpus = data / "corpus"
    train = []
    for path in sorted(corpus.glob("gutenberg-*.txt")):
        train += read_gutenberg(path, max_tokens)
    train += read_wikitext(corpus / "wikitext-2-valid.tokens", max_tokens)
    task = []
    for sentence in rr.read_conllu(data / "ud-ewt" / "en_ewt-ud-train.conllu"):
        task += chunk([w for w, _ in sentence], max_tokens)
    read_sst = rr.read_sst if sst_tokens == "java" else rr.read_sst_as_written
    for _, tokens in read_sst(data / "sst" / "stsa.fine.train"):
        task += chunk(tokens, max_tokens)
    train += task * task_text_repeat
    held_out = read_wikitext(corpus / "wikitext-2-test.tokens", max_tokens)
    sst_how = ("as ./rillet tokenize --format sst tokenizes them" if sst_tokens == "java"
               else "in SST's own tokenization")
    repeat = f" (EWT and SST text {task_text_repeat} times)" if task_text_repeat > 1 else ""
    description = ("../shared/data/corpus gutenberg-*.txt (14 public-domain books) + "
                   "wikitext-2-valid.tokens; UD English EWT v2.16 train forms; SST "
                   f"stsa.fine.train sentences {sst_how}{repeat}. Held out: wikitext-2-test.tokens")
    return train, held_out, description


def build_word_vocab(sentences, max_size, min_count):
    """<S>, </S>, <UNK>, then words by descending count (ties by word), case kept."""
    counts = collections.Counter(w for s in sentences for w in s)
    ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    ranked = [w for w in ranked if w not in (rel.BOS_TOKEN, rel.EOS_TOKEN, UNK_WORD)]
    return [rel.BOS_TOKEN, rel.EOS_TOKEN, UNK_WORD] + ranked[: max_size - 3]


def token_batches(lengths, max_tokens, rng):
    """Length-bucketed batches of sentence indices, padded size (len+2)*B <= max_tokens."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out, window = [], 20000
    for start in range(0, len(order), window):
        part = sorted(order[start:start + window], key=lambda i: lengths[i])
        batch = []
        for i in part:
            if batch and (lengths[i] + 2) * (len(batch) + 1) > max_tokens:
                out.append(batch)
                batch = []
            batch.append(i)
        if batch:
            out.append(batch)
    rng.shuffle(out)
    return out


class LanguageModel(nn.Module):
    """The biLM plus the shared adaptive softmax over words, for training only."""

    def __init__(self, options, vocab_size, cutoffs, dropout):
        super().__init__()
        self.bilm = rel.ElmoBiLM(options)
        p = options["lstm"]["projection_dim"]
        self.softmax = nn.AdaptiveLogSoftmaxWithLoss(p, vocab_size, cutoffs, div_value=4.0)
        self.dropout = nn.Dropout(dropout)

    def forward(self, char_ids, lengths, word_ids):
        """Summed negative log-likelihoods (forward, backward) and the number of targets
        per direction. word_ids [B, T+2] holds <S> and </S> ids, -1 at padding."""
        x = self.dropout(self.bilm.token_vectors(char_ids))
        layers, _ = self.bilm.lstm(x, lengths)
        top = self.dropout(layers[-1])
        p = top.shape[2] // 2
        valid = word_ids >= 0
        # Forward output at t predicts t+1; backward output at t predicts t-1.
        fwd_mask = valid[:, 1:]
        fwd_h, fwd_y = top[:, :-1, :p][fwd_mask], word_ids[:, 1:][fwd_mask]
        bwd_mask = valid[:, :-1]
        bwd_h, bwd_y = top[:, 1:, p:][bwd_mask], word_ids[:, :-1][bwd_mask]
        fwd = self._nll(fwd_h, fwd_y)
        bwd = self._nll(bwd_h, bwd_y)
        return fwd, bwd, fwd_y.numel()

    def _nll(self, h, y):
        return -self.softmax(h, y).output.sum()


def encode_batch(sentences, word_index):
    char_ids, lengths = rel.batch_to_ids(sentences)
    unk = word_index[UNK_WORD]
    word_ids = torch.full(char_ids.shape[:2], -1, dtype=torch.long)
    for b, s in enumerate(sentences):
        ids = [word_index[rel.BOS_TOKEN]] + [word_index.get(w, unk) for w in s] \
            + [word_index[rel.EOS_TOKEN]]
        word_ids[b, : len(ids)] = torch.tensor(ids)
    return char_ids, lengths, word_ids


def perplexity(model, sentences, word_index, max_tokens):
    """(forward, backward) perplexity over every predicted position (words and </S> / <S>)."""
    model.eval()
    fwd = bwd = 0.0
    n = 0
    with torch.no_grad():
        for batch in token_batches([len(s) for s in sentences], max_tokens, random.Random(0)):
            f, b, count = model(*encode_batch([sentences[i] for i in batch], word_index))
            fwd, bwd, n = fwd + f.item(), bwd + b.item(), n + count
    model.train()
    return math.exp(fwd / n), math.exp(bwd / n), n


def save_checkpoint(path, model, optimizer, step, epoch_rng_seed, seconds):
    """seconds: wall time of the run so far, so a resumed run's card counts the whole run."""
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                "seed": epoch_rng_seed, "torch_rng": torch.get_rng_state(),
                "seconds": seconds}, tmp)
    tmp.replace(path)


def schedule(step, total, warmup, lr):
    """Linear warm-up, then linear decay to 10%."""
    if step < warmup:
        return lr * (step + 1) / warmup
    return lr * (1.0 - 0.9 * (step - warmup) / max(1, total - warmup))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=rr.data_root())
    parser.add_argument("--out", type=Path, default=rr.REPO_ROOT / "models" / MODEL_ID)
    parser.add_argument("--work", type=Path, default=rr.REPO_ROOT / "training" / "out" / MODEL_ID,
                        help="checkpoints and the log of held-out checks")
    parser.add_argument("--steps", type=int, default=3200)
    parser.add_argument("--batch-tokens", type=int, default=2048)
    parser.add_argument("--max-sentence", type=int, default=48)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--vocab-size", type=int, default=30000)
    parser.add_argument("--min-count", type=int, default=3)
    parser.add_argument("--char-dim", type=int, default=16)
    parser.add_argument("--filters", default="1x32,2x32,3x64,4x128,5x256",
                        help="width x number, comma separated")
    parser.add_argument("--highway", type=int, default=1)
    parser.add_argument("--projection", type=int, default=128)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--clip", type=float, default=3.0)
    parser.add_argument("--sst-tokens", choices=("java", "as-written"), default="as-written",
                        help="java: SST through the Java tokenizer, as the heads and the live "
                             "job see it; as-written: SST's own tokenization")
    parser.add_argument("--task-text-repeat", type=int, default=1,
                        help="times the EWT and SST training text go into the corpus")
    parser.add_argument("--threads", type=int, default=1,
                        help="intra-op threads; 1 wins on a shared 2-core machine (2 threads spin)")
    parser.add_argument("--log-every", type=int, default=25)
    parser.add_argument("--check-every", type=int, default=500,
                        help="steps between held-out checks (on a slice) and checkpoints")
    parser.add_argument("--check-sentences", type=int, default=400)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--probe", type=int, default=0,
                        help="only time this many steps and print tokens/s; writes nothing")
    rr.add_seed_option(parser, SEED)
    args = parser.parse_args()
    rr.check_data(args.data, "corpus", "ud-ewt", "sst")
    seed = rr.recipe_seed(args, SEED)
    started = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(seed)

    train, held_out, data_description = training_sentences(args.data, args.max_sentence,
                                                           args.sst_tokens, args.task_text_repeat)
    vocab = build_word_vocab(train, args.vocab_size, args.min_count)
    word_index = {w: i for i, w in enumerate(vocab)}
    n_train_tokens = sum(len(s) for s in train)
    print(f"train {len(train)} sentences / {n_train_tokens} tokens; held out {len(held_out)} "
          f"sentences / {sum(len(s) for s in held_out)} tokens; softmax vocab {len(vocab)}",
          flush=True)

    filters = [[int(v) for v in f.split("x")] for f in args.filters.split(",")]
    options = rel.default_options(char_dim=args.char_dim, filters=filters, n_highway=args.highway,
                                  projection_dim=args.projection, dim=args.dim,
                                  n_layers=args.layers, clip=args.clip)
    # Tiny vocabularies (tests) still need one cutoff.
    cutoffs = [c for c in (2000, 10000) if c < len(vocab) - 1] or [len(vocab) // 2]
    model = LanguageModel(options, len(vocab), cutoffs, args.dropout)
    n_params = sum(p.numel() for p in model.bilm.parameters())
    print(f"biLM parameters {n_params}; softmax parameters "
          f"{sum(p.numel() for p in model.softmax.parameters())}", flush=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    args.work.mkdir(parents=True, exist_ok=True)
    checkpoint = args.work / "checkpoint.pt"
    step = 0
    if args.resume and checkpoint.is_file():
        saved = torch.load(checkpoint)
        if saved["seed"] != seed:
            raise SystemExit(f"--resume: {checkpoint} is from a run with seed {saved['seed']}, "
                             f"this one has seed {seed}; resume with --seed {saved['seed']}, or "
                             f"start afresh without --resume (or with another --work)")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        torch.set_rng_state(saved["torch_rng"])
        step = saved["step"]
        # Times printed and recorded from here on include the interrupted run's.
        started -= saved.get("seconds", 0.0)
        print(f"resumed at step {step}", flush=True)

    rng_check = random.Random(seed + 1)
    check_slice = rng_check.sample(held_out, min(args.check_sentences, len(held_out)))
    lengths = [len(s) for s in train]
    # Batch order is a function of the epoch number only, so a resumed run takes the same
    # batches as an uninterrupted one.
    total_steps = args.probe or args.steps
    epoch, position = 0, 0
    while True:
        epoch_batches = token_batches(lengths, args.batch_tokens, random.Random(seed * 1000 + epoch))
        if position + len(epoch_batches) > step:
            break
        position += len(epoch_batches)
        epoch += 1
    index_in_epoch = step - position
    window_loss, window_tokens, window_start = 0.0, 0, time.time()
    model.train()
    while step < total_steps:
        if index_in_epoch >= len(epoch_batches):
            epoch += 1
            epoch_batches = token_batches(lengths, args.batch_tokens,
                                          random.Random(seed * 1000 + epoch))
            index_in_epoch = 0
        batch = [train[i] for i in epoch_batches[index_in_epoch]]
        index_in_epoch += 1
        for group in optimizer.param_groups:
            group["lr"] = schedule(step, args.steps, args.warmup, args.lr)
        fwd, bwd, count = model(*encode_batch(batch, word_index))
        loss = (fwd + bwd) / (2 * count)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step += 1
        window_loss += loss.item() * count
        window_tokens += count
        if step % args.log_every == 0 or step == total_steps:
            rate = window_tokens / (time.time() - window_start)
            print(f"step {step}/{total_steps} epoch {epoch} train ppl (mean of directions) "
                  f"{math.exp(window_loss / window_tokens):.1f}  {rate:.0f} tokens/s  "
                  f"({time.time() - started:.0f} s)", flush=True)
            window_loss, window_tokens, window_start = 0.0, 0, time.time()
        if not args.probe and (step % args.check_every == 0 or step == total_steps):
            f_ppl, b_ppl, _ = perplexity(model, check_slice, word_index, args.batch_tokens)
            print(f"step {step}: held-out slice ppl forward {f_ppl:.1f} backward {b_ppl:.1f}",
                  flush=True)
            save_checkpoint(checkpoint, model, optimizer, step, seed, time.time() - started)
    if args.probe:
        return

    train_wall = time.time() - started
    f_ppl, b_ppl, n_targets = perplexity(model, held_out, word_index, args.batch_tokens)
    print(f"held-out (wikitext-2-test) perplexity forward {f_ppl:.2f} backward {b_ppl:.2f} "
          f"over {n_targets} targets", flush=True)
    model.eval()
    weights = rel.save_bilm(model.bilm, args.out)
    with open(args.out / "vocab.txt", "w", encoding="utf-8", newline="\n") as f:
        for w in vocab:
            f.write(w + "\n")
    wall = time.time() - started
    command = rr.command_line("train_elmo_bilm.py", args,
                              skip=("data", "out", "work", "resume", "probe"))
    unk_rate = sum(1 for s in held_out for w in s if w not in word_index) / max(
        1, sum(len(s) for s in held_out))
    write_model_card(args, seed, options, n_params, len(vocab), cutoffs, len(train), n_train_tokens,
                     data_description, command, f_ppl, b_ppl, n_targets, unk_rate, train_wall,
                     wall, rel.sha256(weights))
    print(f"wrote {args.out}; wall {wall:.0f} s", flush=True)


def write_model_card(args, seed, options, n_params, vocab_size, cutoffs, n_sentences, n_tokens,
                     data_description, command, f_ppl, b_ppl, n_targets, unk_rate, train_wall,
                     wall, weights_sha):
    lstm, cnn = options["lstm"], options["char_cnn"]
    md = f"""# {MODEL_ID} — ELMo biLM pre-trained here

A small ELMo bidirectional language model (AllenNLP / bilm-tf architecture and file layout),
pre-trained from scratch on about 2M words on 2 CPU cores. It is far smaller and less
trained than the published ELMo models; it exists so the whole ELMo path (conversion, the
sentence operator, task heads) runs on weights made from our own data.

- Files: `options.json` + `weights.hdf5` (bilm-tf HDF5 layout, same dataset names and shapes
  as the published files; read by the Java converter), `vocab.txt` (the word vocabulary of
  the training softmax, not needed to compute ELMo vectors).
- weights.hdf5 sha256: `{weights_sha}`
- Architecture: char embedding {cnn['embedding']['dim']} (262 ids, max
  {cnn['max_characters_per_token']} chars per token) -> CNN filters {cnn['filters']}
  (max-pool, {cnn['activation']}) -> {cnn['n_highway']} highway -> projection
  {lstm['projection_dim']} -> forward and backward stacks of {lstm['n_layers']} LSTMs (cell
  {lstm['dim']}, projection {lstm['projection_dim']}, cell clip {lstm['cell_clip']}, proj clip
  {lstm['proj_clip']}, residual between layers). Outputs {lstm['n_layers'] + 1} layers of
  {2 * lstm['projection_dim']} per token. {n_params:,} parameters (without the softmax).
- Training objective: forward LM (next word) + backward LM (previous word), single sentences
  from the zero state with `<S>`/`</S>`; one shared adaptive softmax (cutoffs {cutoffs}) over
  {vocab_size} words (count >= {args.min_count} in the training text, case kept, others
  `<UNK>`). Adam, lr {args.lr} (warm-up {args.warmup} steps, linear decay to 10%), dropout
  {args.dropout} on the token vectors and the top layer, gradient norm clip 5,
  {args.steps} steps of about {args.batch_tokens} padded tokens, sentences cut at
  {args.max_sentence} tokens.

## Held-out perplexity

On `wikitext-2-test.tokens` (never trained on; headings dropped, split into sentences after
. ? !, `@-@` escapes undone), {n_targets} predicted positions per direction (words and the
end / start marker); words outside the softmax vocabulary ({unk_rate:.1%} of held-out
words, plus WikiText's own `<unk>` tokens) count as `<UNK>`:

| direction | perplexity |
|---|---|
| forward | {f_ppl:.2f} |
| backward | {b_ppl:.2f} |

## Provenance

- Command: `{command}` (with `RILLET_DATA` or `--data` pointing at shared/data)
- Data: {data_description}; {n_sentences} training sentences, {n_tokens} tokens
{rr.run_provenance(seed, args.threads)}
- Wall time: {wall:.0f} s in all ({train_wall:.0f} s data loading and training) on a
  2-core machine shared with other work

## Licences

- Gutenberg texts: public domain. WikiText-2: CC BY-SA. UD English EWT: CC BY-SA 4.0.
  SST: no explicit licence; research use only. The weights are shared under CC BY-SA 4.0
  for research use.
"""
    with open(args.out / "MODEL.md", "w", encoding="utf-8", newline="\n") as f:
        f.write(md)


if __name__ == "__main__":
    main()
