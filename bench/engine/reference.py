#!/usr/bin/env python3
"""PyTorch side of bench/engine: GEMM GFLOP/s and the reference transformer LM training step.

A line-oriented JSON server driven by bench/engine/run.ts, which alternates the two sides (one GEMM
burst or one training step at a time) so that load from other processes hits both alike. Debian's
python3-torch: the same libtorch 1.13 the addon links.
"""
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def loaded_blas():
    found = set()
    with open('/proc/self/maps') as maps:
        for line in maps:
            if '/' not in line:
                continue
            path = line[line.index('/'):].strip()
            if any(k in path.lower() for k in ('blas', 'mkl', 'lapack')):
                found.add(os.path.realpath(path))
    return sorted(found)


def gemm(n, seconds, warmup=True):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    if warmup:
        for _ in range(3):
            torch.mm(a, b)
    iters, start = 0, time.perf_counter()
    while True:
        torch.mm(a, b)
        iters += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    return 2 * n**3 * iters / elapsed / 1e9


def small_op(seconds):
    """Microseconds per call of a tiny elementwise op: the per-op overhead of the binding."""
    a = torch.randn(8)
    b = torch.randn(8)
    iters, start = 0, time.perf_counter()
    while True:
        for _ in range(1000):
            a + b
        iters += 1000
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    return elapsed / iters * 1e6


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(mask[:T, :T], float('-inf')).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class LM(nn.Module):
    def __init__(self, vocab, d, layers, heads, seq):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(seq, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.register_buffer('mask', torch.ones(seq, seq, dtype=torch.bool).triu(1))

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(T))
        for block in self.blocks:
            x = block(x, self.mask)
        logits = self.head(self.ln(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


class Trainer:
    """The reference model, optimizer and one fixed batch; step() is one timed training step."""

    def __init__(self, cfg):
        torch.manual_seed(0)
        self.model = LM(cfg['vocab'], cfg['d_model'], cfg['layers'], cfg['heads'], cfg['seq'])
        self.opt = torch.optim.AdamW(
            self.model.parameters(), lr=3e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1
        )
        data = torch.randint(0, cfg['vocab'], (cfg['batch'], cfg['seq'] + 1))
        self.x, self.y = data[:, :-1].contiguous(), data[:, 1:].contiguous()

    def step(self):
        cpu = time.process_time()
        start = time.perf_counter()
        loss = self.model(self.x, self.y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        loss = loss.item()
        elapsed = time.perf_counter() - start
        return elapsed, time.process_time() - cpu, loss


def serve():
    """Answers one JSON command per stdin line, so run.ts can alternate the two sides step by step."""
    trainer = None
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd['op']
        if op == 'threads':
            torch.set_num_threads(cmd['threads'])
            out = {'threads': torch.get_num_threads(), 'torch': torch.__version__}
        elif op == 'gemm':
            out = {'gflops': gemm(cmd['n'], cmd['seconds'], cmd.get('warmup', True))}
        elif op == 'small_op':
            out = {'us': small_op(cmd['seconds'])}
        elif op == 'train_init':
            trainer = Trainer(cmd['config'])
            out = {}
        elif op == 'train_step':
            elapsed, cpu, loss = trainer.step()
            out = {'time': elapsed, 'cpu': cpu, 'loss': loss}
        elif op == 'info':
            out = {
                'blas': loaded_blas(),
                'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        elif op == 'quit':
            break
        else:
            out = {'error': f'unknown op {op}'}
        print(json.dumps(out), flush=True)


if __name__ == '__main__':
    serve()
