"""The ELMo biLM in PyTorch, computing exactly what AllenNLP / bilm-tf compute, and its
HDF5 + options.json layout (the format of the published ELMo files and of the AllenNLP
test fixture in $RILLET_DATA/elmo-fixture). The Java converter reads what save_bilm writes.

See docs/elmo.md, "How ELMo is computed":
  char ids (+1 offset, BOW/EOW, <S>/</S>) -> char embedding (zero row for id 0) -> CNN
  (max over positions, activation) -> highways -> projection -> forward and backward stacks
  of LSTMs with projection (TF gate order i, j, f, o; forget bias +1; cell and proj clip;
  residual for layers >= 1), the backward stack running each sentence from its own end.
"""

import hashlib
import json
from pathlib import Path

import h5py
import numpy as np
import torch
from torch import nn

MAX_CHARS = 50
N_CHARACTERS = 262
# Raw character ids before the +1 offset (bytes are 0..255).
BOS_CHAR, EOS_CHAR, BOW_CHAR, EOW_CHAR, PAD_CHAR = 256, 257, 258, 259, 260
FORGET_BIAS = 1.0
BOS_TOKEN, EOS_TOKEN = "<S>", "</S>"


def _marker_row(char, max_chars):
    row = [PAD_CHAR] * max_chars
    row[0], row[1], row[2] = BOW_CHAR, char, EOW_CHAR
    return [c + 1 for c in row]


def token_char_ids(token, max_chars=MAX_CHARS):
    """One token's row of max_chars ids: [BOW, utf-8 bytes (at most max_chars-2), EOW, pad...] + 1."""
    data = token.encode("utf-8", "ignore")[: max_chars - 2]
    row = [BOW_CHAR] + list(data) + [EOW_CHAR]
    row += [PAD_CHAR] * (max_chars - len(row))
    return [c + 1 for c in row]


def batch_to_ids(sentences, max_chars=MAX_CHARS):
    """Char ids [B, T+2, max_chars] (int64) with <S> at 0 and </S> after each sentence's last
    token, absent positions all zero, and lengths [B] (= tokens + 2)."""
    width = max(len(s) for s in sentences) + 2
    ids = np.zeros((len(sentences), width, max_chars), dtype=np.int64)
    bos, eos = _marker_row(BOS_CHAR, max_chars), _marker_row(EOS_CHAR, max_chars)
    for b, tokens in enumerate(sentences):
        ids[b, 0] = bos
        for t, token in enumerate(tokens):
            ids[b, t + 1] = token_char_ids(token, max_chars)
        ids[b, len(tokens) + 1] = eos
    lengths = torch.tensor([len(s) + 2 for s in sentences], dtype=torch.long)
    return torch.from_numpy(ids), lengths


def default_options(char_dim=16, filters=((1, 32), (2, 32), (3, 64), (4, 128), (5, 256)),
                    n_highway=1, projection_dim=128, dim=512, n_layers=2, clip=3.0):
    """An options.json dict in the bilm-tf format."""
    return {
        "lstm": {"cell_clip": clip, "use_skip_connections": True, "n_layers": n_layers,
                 "proj_clip": clip, "projection_dim": projection_dim, "dim": dim},
        "char_cnn": {"embedding": {"dim": char_dim}, "filters": [list(f) for f in filters],
                     "n_highway": n_highway, "n_characters": N_CHARACTERS,
                     "max_characters_per_token": MAX_CHARS, "activation": "relu"},
    }


class CharCnnEncoder(nn.Module):
    """Char ids [N, max_chars] -> token vectors [N, projection_dim]."""

    def __init__(self, options):
        super().__init__()
        cnn = options["char_cnn"]
        char_dim = cnn["embedding"]["dim"]
        # Row 0 stays zero: it is the padding id (absent tokens) and is not in the HDF5 file.
        self.char_embed = nn.Embedding(cnn["n_characters"], char_dim, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(char_dim, num, width) for width, num in cnn["filters"])
        n_filters = sum(num for _, num in cnn["filters"])
        self.carry = nn.ModuleList(nn.Linear(n_filters, n_filters) for _ in range(cnn["n_highway"]))
        self.transform = nn.ModuleList(
            nn.Linear(n_filters, n_filters) for _ in range(cnn["n_highway"]))
        self.proj = nn.Linear(n_filters, options["lstm"]["projection_dim"])
        activation = cnn.get("activation", "relu")
        if activation not in ("relu", "tanh"):
            raise ValueError(f"char_cnn.activation must be relu or tanh, got {activation!r}")
        self.activation = torch.relu if activation == "relu" else torch.tanh
        for layer in self.carry:
            # bilm-tf starts highways biased to carry the input through.
            nn.init.constant_(layer.bias, -2.0)

    def forward(self, char_ids):
        x = self.char_embed(char_ids).transpose(1, 2)  # [N, char_dim, max_chars]
        pooled = [self.activation(conv(x).max(dim=2).values) for conv in self.convs]
        h = torch.cat(pooled, dim=1)
        for carry, transform in zip(self.carry, self.transform):
            gate = torch.sigmoid(carry(h))
            h = gate * torch.relu(transform(h)) + (1.0 - gate) * h
        return self.proj(h)


class BiLstmStack(nn.Module):
    """Forward (direction 0, RNN_0) and backward (direction 1, RNN_1) stacks of LSTMs with
    projection, computed together: parameters are stacked on a leading direction axis, in the
    bilm-tf row-vector layout (W_0 [in+P, 4*dim], B [4*dim], W_P_0 [dim, P])."""

    def __init__(self, options):
        super().__init__()
        lstm = options["lstm"]
        self.n_layers, self.dim, self.proj_dim = lstm["n_layers"], lstm["dim"], lstm["projection_dim"]
        self.cell_clip, self.proj_clip = lstm.get("cell_clip"), lstm.get("proj_clip")
        self.residual = bool(lstm.get("use_skip_connections", True))
        p, d = self.proj_dim, self.dim
        self.W = nn.ParameterList(nn.Parameter(torch.empty(2, 2 * p, 4 * d))
                                  for _ in range(self.n_layers))
        self.B = nn.ParameterList(nn.Parameter(torch.zeros(2, 4 * d)) for _ in range(self.n_layers))
        self.W_P = nn.ParameterList(nn.Parameter(torch.empty(2, d, p)) for _ in range(self.n_layers))
        for w, wp in zip(self.W, self.W_P):
            nn.init.uniform_(w, -0.05, 0.05)
            nn.init.uniform_(wp, -0.05, 0.05)

    def zero_state(self, batch):
        """Per layer (h [2, B, P], c [2, B, dim]), direction on axis 0."""
        return [(torch.zeros(2, batch, self.proj_dim), torch.zeros(2, batch, self.dim))
                for _ in range(self.n_layers)]

    def forward(self, x, lengths, state=None, track_state=False):
        """x [B, T, P] token vectors, lengths [B]; state as zero_state (None = zeros).

        Returns (layers, final_state): layers is a list of n_layers tensors [B, T, 2P]
        ([forward; backward]), zero at padded positions; final_state (state after each row's
        own last position, both directions) when track_state, else None. Without
        track_state the recurrence also runs over padding, which never reaches a real
        position (padding comes after each row's real positions in both directions)."""
        batch, steps, _ = x.shape
        time = torch.arange(steps).unsqueeze(0)
        valid = time < lengths.unsqueeze(1)  # [B, T]
        # Backward direction: each row reversed within its own length (padding stays last).
        rev = torch.where(valid, lengths.unsqueeze(1) - 1 - time, time)
        rev_x = x.gather(1, rev.unsqueeze(2).expand(-1, -1, x.shape[2]))
        inputs = torch.stack([x, rev_x])  # [2, B, T, P], each direction in its own time order
        state = state if state is not None else self.zero_state(batch)
        step_valid = valid.t().unsqueeze(0).unsqueeze(3)  # [1, T, B, 1]
        layers, final = [], []
        p = self.proj_dim
        for k in range(self.n_layers):
            w, b, wp = self.W[k], self.B[k], self.W_P[k]
            xw = torch.matmul(inputs, w[:, :p].unsqueeze(1)) + b.unsqueeze(1).unsqueeze(1)
            # unbind, not xw[:, :, t]: a slice's backward writes a full-size zero gradient
            # per step (quadratic in T); unbind's backward stacks once.
            xw_steps = xw.unbind(2)
            w_h = w[:, p:]
            h, c = state[k]
            outs = []
            for t in range(steps):
                gates = torch.baddbmm(xw_steps[t], h, w_h)
                i, j, f, o = gates.chunk(4, dim=2)
                c_new = torch.sigmoid(f + FORGET_BIAS) * c + torch.sigmoid(i) * torch.tanh(j)
                if self.cell_clip:
                    c_new = c_new.clamp(-self.cell_clip, self.cell_clip)
                h_new = torch.bmm(torch.sigmoid(o) * torch.tanh(c_new), wp)
                if self.proj_clip:
                    h_new = h_new.clamp(-self.proj_clip, self.proj_clip)
                if track_state:
                    keep = step_valid[:, t]
                    h = torch.where(keep, h_new, h)
                    c = torch.where(keep, c_new, c)
                else:
                    h, c = h_new, c_new
                outs.append(h_new)
            out = torch.stack(outs, dim=2)  # [2, B, T, P]
            if k >= 1 and self.residual:
                out = out + inputs
            final.append((h, c))
            inputs = out
            fwd = out[0]
            bwd = out[1].gather(1, rev.unsqueeze(2).expand(-1, -1, p))
            layers.append(torch.cat([fwd, bwd], dim=2) * valid.unsqueeze(2))
        return layers, (final if track_state else None)


class ElmoBiLM(nn.Module):
    """Char ids [B, T+2, max_chars] + lengths -> L+1 activations [B, T+2, 2P] (layer 0 is the
    token vector duplicated), zero at padded positions."""

    def __init__(self, options):
        super().__init__()
        self.options = options
        self.encoder = CharCnnEncoder(options)
        self.lstm = BiLstmStack(options)

    @property
    def projection_dim(self):
        return self.lstm.proj_dim

    def token_vectors(self, char_ids):
        batch, steps, chars = char_ids.shape
        flat = self.encoder(char_ids.reshape(batch * steps, chars)).reshape(batch, steps, -1)
        present = (char_ids[:, :, 0] > 0).unsqueeze(2)
        return flat * present

    def forward(self, char_ids, lengths, state=None, track_state=False):
        """Returns (layers: list of L+1 [B, T+2, 2P], final_state or None)."""
        x = self.token_vectors(char_ids)
        lstm_layers, final = self.lstm(x, lengths, state, track_state)
        return [torch.cat([x, x], dim=2)] + lstm_layers, final


def remove_sentence_boundaries(layer, lengths):
    """[B, T+2, D] with <S>/</S> -> [B, T, D] real tokens only, padded positions zero."""
    inner = layer[:, 1:-1].clone()
    steps = inner.shape[1]
    valid = torch.arange(steps).unsqueeze(0) < (lengths - 2).unsqueeze(1)
    return inner * valid.unsqueeze(2)


def _lstm_group(k, direction):
    return f"RNN_{direction}/RNN/MultiRNNCell/Cell{k}/LSTMCell"


def package_files(bilm_dir, flag):
    """(options.json, weights file) of a biLM package: options.json and the one .hdf5 file
    (save_bilm names it weights.hdf5). Exits naming the flag and the fix when either is not
    there, so a recipe fails at startup rather than after loading its data."""
    bilm_dir = Path(bilm_dir)
    weights = sorted(bilm_dir.glob("*.hdf5"))
    if not (bilm_dir / "options.json").is_file() or len(weights) != 1:
        raise SystemExit(f"{flag} {bilm_dir}: expected a biLM package, options.json and one "
                         f".hdf5 weights file (found {len(weights)}); train one with "
                         f"training/train_elmo_bilm.py or point {flag} at models/elmo-bilm")
    return bilm_dir / "options.json", weights[0]


def load_bilm(options_path, weights_path):
    """Builds an ElmoBiLM from an options.json + bilm-tf HDF5 weights file."""
    with open(options_path, encoding="utf-8") as f:
        options = json.load(f)
    model = ElmoBiLM(options)
    enc, lstm = model.encoder, model.lstm
    with h5py.File(weights_path, "r") as h5, torch.no_grad():
        def get(name):
            return torch.from_numpy(np.asarray(h5[name], dtype=np.float32))

        embed = get("char_embed")
        enc.char_embed.weight.zero_()
        enc.char_embed.weight[1:] = embed
        for i, conv in enumerate(enc.convs):
            conv.weight.copy_(get(f"CNN/W_cnn_{i}")[0].permute(2, 1, 0))  # -> [num, char_dim, width]
            conv.bias.copy_(get(f"CNN/b_cnn_{i}"))
        for k in range(len(enc.carry)):
            enc.carry[k].weight.copy_(get(f"CNN_high_{k}/W_carry").t())
            enc.carry[k].bias.copy_(get(f"CNN_high_{k}/b_carry"))
            enc.transform[k].weight.copy_(get(f"CNN_high_{k}/W_transform").t())
            enc.transform[k].bias.copy_(get(f"CNN_high_{k}/b_transform"))
        enc.proj.weight.copy_(get("CNN_proj/W_proj").t())
        enc.proj.bias.copy_(get("CNN_proj/b_proj"))
        for k in range(lstm.n_layers):
            for d in range(2):
                g = _lstm_group(k, d)
                lstm.W[k][d].copy_(get(f"{g}/W_0"))
                lstm.B[k][d].copy_(get(f"{g}/B"))
                lstm.W_P[k][d].copy_(get(f"{g}/W_P_0"))
    return model.eval()


def save_bilm(model, out_dir, weights_name="weights.hdf5"):
    """Writes options.json and the weights in the bilm-tf HDF5 layout (char_embed without the
    zero row, CNN/W_cnn_i [1, width, char_dim, num], row-vector matrices). Returns the
    weights file path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "options.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(model.options, f, indent=2)
        f.write("\n")
    enc, lstm = model.encoder, model.lstm
    path = out_dir / weights_name

    def arr(t):
        return t.detach().cpu().numpy().astype(np.float32)

    with h5py.File(path, "w") as h5:
        h5.create_dataset("char_embed", data=arr(enc.char_embed.weight[1:]))
        for i, conv in enumerate(enc.convs):
            h5.create_dataset(f"CNN/W_cnn_{i}", data=arr(conv.weight.permute(2, 1, 0).unsqueeze(0)))
            h5.create_dataset(f"CNN/b_cnn_{i}", data=arr(conv.bias))
        for k in range(len(enc.carry)):
            h5.create_dataset(f"CNN_high_{k}/W_carry", data=arr(enc.carry[k].weight.t()))
            h5.create_dataset(f"CNN_high_{k}/b_carry", data=arr(enc.carry[k].bias))
            h5.create_dataset(f"CNN_high_{k}/W_transform", data=arr(enc.transform[k].weight.t()))
            h5.create_dataset(f"CNN_high_{k}/b_transform", data=arr(enc.transform[k].bias))
        h5.create_dataset("CNN_proj/W_proj", data=arr(enc.proj.weight.t()))
        h5.create_dataset("CNN_proj/b_proj", data=arr(enc.proj.bias))
        for k in range(lstm.n_layers):
            for d in range(2):
                g = _lstm_group(k, d)
                h5.create_dataset(f"{g}/W_0", data=arr(lstm.W[k][d]))
                h5.create_dataset(f"{g}/B", data=arr(lstm.B[k][d]))
                h5.create_dataset(f"{g}/W_P_0", data=arr(lstm.W_P[k][d]))
    return path


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
