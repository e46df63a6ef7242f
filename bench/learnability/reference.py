"""bench/learnability's PyTorch side: the same text-only GPT (d 128, 2 layers, 4 heads, pre-LN, GELU
MLP 4x, tied head; learned positions N(0, 0.01) or rotary "rotate half" ones, GPT-2's N(0, 0.02) with
residual outputs scaled by 1/sqrt(2 layers)) trained on the same token ids with the same optimiser.

usage: reference.py DATA.json LR SEED STEPS  ->  prints the curve as JSON on stdout
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

data = json.load(open(sys.argv[1]))
lr, seed, steps = float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(seed)
torch.set_num_threads(1)
V, PAD, ROPE = data["vocab"], data["pad"], data["positions"] == "rope"
D, LAYERS, HEADS = 128, 2, 4
HD = D // HEADS


def rotate(x, t):
    half = HD // 2
    freq = 10000 ** (-2 * torch.arange(half, dtype=torch.float64) / HD)
    angle = torch.arange(t, dtype=torch.float64)[:, None] * freq
    cos, sin = angle.cos().float(), angle.sin().float()
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = torch.nn.LayerNorm(D), torch.nn.LayerNorm(D)
        self.qkv, self.proj = torch.nn.Linear(D, 3 * D), torch.nn.Linear(D, D)
        self.fc, self.out = torch.nn.Linear(D, 4 * D), torch.nn.Linear(4 * D, D)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, HEADS, HD).permute(2, 0, 3, 1, 4)
        if ROPE:
            q, k = rotate(q, t), rotate(k, t)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(F, "scaled_dot_product_attention") else None
        if y is None:
            att = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
            att = att.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf"))
            y = att.softmax(-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(V, D)
        self.pos = None if ROPE else torch.nn.Embedding(64, D)
        self.blocks = torch.nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln = torch.nn.LayerNorm(D)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                residual = name.endswith("proj.weight") or name.endswith("out.weight")
                torch.nn.init.normal_(p, 0, 0.02 / math.sqrt(2 * LAYERS) if residual else 0.02)
            elif not name.startswith("ln") and ".ln" not in name:
                torch.nn.init.zeros_(p)
        if self.pos is not None:
            torch.nn.init.normal_(self.pos.weight, 0, 0.01)

    def forward(self, idx):
        x = self.tok(idx)
        if self.pos is not None:
            x = x + self.pos(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.ln(x) @ self.tok.weight.T


def batch(rows):
    t = max(len(r["p"]) + len(r["t"]) for r in rows) - 1
    x = torch.full((len(rows), t), PAD, dtype=torch.long)
    y = torch.full((len(rows), t), -100, dtype=torch.long)
    for i, r in enumerate(rows):
        seq = r["p"] + r["t"]
        x[i, : len(seq) - 1] = torch.tensor(seq[:-1])
        for j, target in enumerate(r["t"]):
            y[i, len(r["p"]) - 1 + j] = target
    return x, y


model = GPT()
opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0)
gen = torch.Generator().manual_seed(seed)
train, held = data["train"], data["held"]
curve = []
for step in range(1, steps + 1):
    x, y = batch([train[i] for i in torch.randint(len(train), (data["batch"],), generator=gen).tolist()])
    for group in opt.param_groups:
        group["lr"] = lr * min(1.0, step / data["warmup"])
    loss = F.cross_entropy(model(x).view(-1, V), y.view(-1), ignore_index=-100)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % data["evalEvery"] == 0:
        with torch.no_grad():
            x, y = batch(held)
            mask = y != -100
            logits = model(x)[mask]  # [held, V]: the answer position of each row
            says_yes = logits[:, data["yes"]] > logits[:, data["no"]]
            accuracy = (says_yes == (y[mask] == data["yes"])).float().mean().item()
        curve.append({"step": step, "loss": loss.item(), "accuracy": accuracy})
print(json.dumps(curve))
