#!/usr/bin/env python3
"""Writes test/fixtures/engine/golden.json: PyTorch's outputs and gradients for the engine's ops.

Run with Debian's python3-torch (the same libtorch 1.13 the addon links):
    /usr/bin/python3 scripts/make-engine-fixtures.py
Each case names an op that test/engine/golden-ops.ts implements with the TypeScript API; the
inputs are generated here from a fixed seed and stored, so the tests need no Python.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'engine', 'golden.json')

DTYPES = {
    torch.float32: 'float32',
    torch.float64: 'float64',
    torch.int64: 'int64',
    torch.int32: 'int32',
    torch.bool: 'bool',
    torch.uint8: 'uint8',
}


def number(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return 'nan'
        if math.isinf(v):
            return 'inf' if v > 0 else '-inf'
    return v


def encode(t):
    t = t.detach()
    return {
        'dtype': DTYPES[t.dtype],
        'shape': list(t.shape),
        'data': [number(v) for v in t.reshape(-1).tolist()],
    }


def rnd(*shape):
    return torch.randn(*shape)


def pos(*shape):
    return torch.rand(*shape) + 0.5


def idx(high, *shape):
    return torch.randint(0, high, shape)


def attention(q, k, v, causal=False, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if causal:
        L, S = q.size(-2), k.size(-2)
        scores = scores.masked_fill(torch.ones(L, S, dtype=torch.bool).triu(S - L + 1), float('-inf'))
    if mask is not None:
        scores = scores.masked_fill(~mask, float('-inf'))
    return scores.softmax(-1) @ v


# name: (inputs factory, differentiable input positions, function)
CASES = {
    # elementwise unary
    'neg': (lambda: [rnd(2, 3)], [0], lambda x: -x),
    'exp': (lambda: [rnd(2, 3)], [0], torch.exp),
    'log': (lambda: [pos(2, 3)], [0], torch.log),
    'log1p': (lambda: [pos(2, 3)], [0], torch.log1p),
    'sqrt': (lambda: [pos(2, 3)], [0], torch.sqrt),
    'rsqrt': (lambda: [pos(2, 3)], [0], torch.rsqrt),
    'abs': (lambda: [rnd(2, 3)], [0], torch.abs),
    'tanh': (lambda: [rnd(2, 3)], [0], torch.tanh),
    'sigmoid': (lambda: [rnd(2, 3)], [0], torch.sigmoid),
    'relu': (lambda: [rnd(2, 3)], [0], torch.relu),
    'gelu': (lambda: [rnd(2, 3)], [0], F.gelu),
    'gelu_tanh': (lambda: [rnd(2, 3)], [0], lambda x: F.gelu(x, approximate='tanh')),
    'silu': (lambda: [rnd(2, 3)], [0], F.silu),
    'sin': (lambda: [rnd(2, 3)], [0], torch.sin),
    'cos': (lambda: [rnd(2, 3)], [0], torch.cos),
    'erf': (lambda: [rnd(2, 3)], [0], torch.erf),
    'square': (lambda: [rnd(2, 3)], [0], torch.square),
    'reciprocal': (lambda: [pos(2, 3)], [0], torch.reciprocal),
    'clamp': (lambda: [rnd(3, 4)], [0], lambda x: x.clamp(-0.5, 0.7)),
    'clamp_min': (lambda: [rnd(3, 4)], [0], lambda x: x.clamp(min=0.1)),
    # binary with broadcasting and scalars
    'add_broadcast': (lambda: [rnd(2, 3), rnd(3)], [0, 1], lambda a, b: a + b),
    'sub_broadcast': (lambda: [rnd(2, 1, 3), rnd(4, 1)], [0, 1], lambda a, b: a - b),
    'mul_broadcast': (lambda: [rnd(2, 3), rnd(2, 1)], [0, 1], lambda a, b: a * b),
    'div_broadcast': (lambda: [rnd(2, 3), pos(3)], [0, 1], lambda a, b: a / b),
    'add_scalar': (lambda: [rnd(2, 3)], [0], lambda a: a + 2.5),
    'mul_scalar': (lambda: [rnd(2, 3)], [0], lambda a: a * 3),
    'rsub_scalar': (lambda: [rnd(2, 3)], [0], lambda a: a - 1),
    'pow_scalar': (lambda: [pos(2, 3)], [0], lambda a: a ** 3),
    'pow_tensor': (lambda: [pos(2, 3), rnd(2, 3)], [0, 1], torch.pow),
    'maximum': (lambda: [rnd(2, 3), rnd(2, 3)], [0, 1], torch.maximum),
    'minimum': (lambda: [rnd(2, 3), rnd(3)], [0, 1], torch.minimum),
    'int_div_promotes': (lambda: [idx(10, 2, 3)], [], lambda a: a / 4),
    'int_add_float_scalar': (lambda: [idx(10, 2, 3)], [], lambda a: a + 0.5),
    'comparisons': (lambda: [rnd(2, 3), rnd(2, 3)], [], lambda a, b: [a < b, a >= 0, a.eq(a), a.ne(b)]),
    'where': (lambda: [rnd(2, 3) > 0, rnd(2, 3), rnd(2, 3)], [1, 2], torch.where),
    'where_scalar': (lambda: [rnd(2, 3)], [0], lambda a: torch.where(a > 0, a, 0.0)),
    'masked_fill': (lambda: [rnd(3, 4), rnd(3, 4) > 0], [0], lambda a, m: a.masked_fill(m, -1.5)),
    # reductions
    'sum_all': (lambda: [rnd(2, 3, 4)], [0], lambda x: x.sum()),
    'sum_dim_keepdim': (lambda: [rnd(2, 3, 4)], [0], lambda x: x.sum(1, keepdim=True)),
    'sum_dims': (lambda: [rnd(2, 3, 4)], [0], lambda x: x.sum([0, 2])),
    'mean_all': (lambda: [rnd(2, 3, 4)], [0], lambda x: x.mean()),
    'mean_dim': (lambda: [rnd(2, 3, 4)], [0], lambda x: x.mean(-1)),
    'var_dim': (lambda: [rnd(3, 5)], [0], lambda x: x.var(1)),
    'var_unbiased_false': (lambda: [rnd(3, 5)], [0], lambda x: x.var(0, unbiased=False, keepdim=True)),
    'std_all': (lambda: [rnd(3, 5)], [0], lambda x: x.std()),
    'prod_dim': (lambda: [pos(3, 4)], [0], lambda x: x.prod(1)),
    'amax_dim': (lambda: [rnd(3, 5)], [0], lambda x: x.amax(1)),
    'max_all': (lambda: [rnd(3, 5)], [0], lambda x: x.max()),
    'max_dim': (lambda: [rnd(3, 5)], [0], lambda x: list(x.max(1))),
    'min_dim_keepdim': (lambda: [rnd(3, 5)], [0], lambda x: list(x.min(0, keepdim=True))),
    'argmax_dim': (lambda: [rnd(3, 5)], [], lambda x: x.argmax(1)),
    'argmax_all': (lambda: [rnd(3, 5)], [], lambda x: x.argmax()),
    'logsumexp': (lambda: [rnd(3, 5)], [0], lambda x: x.logsumexp(1)),
    'norm': (lambda: [rnd(3, 5)], [0], lambda x: x.norm()),
    'norm_dim': (lambda: [rnd(3, 5)], [0], lambda x: x.norm(2, 1)),
    'softmax': (lambda: [rnd(3, 5)], [0], lambda x: x.softmax(-1)),
    'log_softmax': (lambda: [rnd(3, 5)], [0], lambda x: x.log_softmax(0)),
    'cumsum': (lambda: [rnd(3, 5)], [0], lambda x: x.cumsum(1)),
    'topk': (lambda: [rnd(3, 6)], [0], lambda x: list(x.topk(2, -1))),
    'topk_smallest': (lambda: [rnd(3, 6)], [0], lambda x: list(x.topk(3, 0, largest=False))),
    'sort': (lambda: [rnd(3, 6)], [0], lambda x: list(x.sort(-1))),
    'sort_descending': (lambda: [rnd(3, 6)], [0], lambda x: list(x.sort(0, descending=True))),
    # linear algebra
    'matmul_2d': (lambda: [rnd(3, 4), rnd(4, 5)], [0, 1], torch.matmul),
    'matmul_batched_broadcast': (lambda: [rnd(2, 3, 4), rnd(4, 2)], [0, 1], torch.matmul),
    'matmul_vector': (lambda: [rnd(3, 4), rnd(4)], [0, 1], torch.matmul),
    'bmm': (lambda: [rnd(2, 3, 4), rnd(2, 4, 2)], [0, 1], torch.bmm),
    # shape ops
    'reshape': (lambda: [rnd(2, 3, 4)], [0], lambda x: x.reshape(4, -1)),
    'permute': (lambda: [rnd(2, 3, 4)], [0], lambda x: x.permute(2, 0, 1)),
    'transpose': (lambda: [rnd(2, 3, 4)], [0], lambda x: x.transpose(0, 2)),
    'squeeze_unsqueeze': (lambda: [rnd(2, 1, 3)], [0], lambda x: x.squeeze(1).unsqueeze(0)),
    'flatten': (lambda: [rnd(2, 3, 4)], [0], lambda x: x.flatten(1)),
    'expand': (lambda: [rnd(3, 1)], [0], lambda x: x.expand(3, 4)),
    'repeat': (lambda: [rnd(2, 3)], [0], lambda x: x.repeat(2, 1)),
    'flip': (lambda: [rnd(2, 3)], [0], lambda x: x.flip(1)),
    'cat': (lambda: [rnd(2, 3), rnd(1, 3)], [0, 1], lambda a, b: torch.cat([a, b], 0)),
    'stack': (lambda: [rnd(2, 3), rnd(2, 3)], [0, 1], lambda a, b: torch.stack([a, b], 1)),
    'split_sizes': (lambda: [rnd(5, 2)], [0], lambda x: list(x.split([2, 3], 0))),
    'split_size': (lambda: [rnd(2, 5)], [0], lambda x: list(x.split(2, 1))),
    'chunk': (lambda: [rnd(6, 2)], [0], lambda x: list(x.chunk(3, 0))),
    'slice_step': (lambda: [rnd(4, 7)], [0], lambda x: x[:, 1:6:2]),
    'slice_negative': (lambda: [rnd(4, 7)], [0], lambda x: x[-3:]),
    'narrow': (lambda: [rnd(4, 7)], [0], lambda x: x.narrow(1, 2, 3)),
    'select': (lambda: [rnd(4, 7)], [0], lambda x: x[:, 3]),
    'index_select': (lambda: [rnd(4, 3), torch.tensor([3, 0, 3])], [0], lambda x, i: x.index_select(0, i)),
    'index_advanced': (lambda: [rnd(4, 3, 2), torch.tensor([0, 2]), torch.tensor([1, 1])], [0], lambda x, i, j: x[i, :, j]),
    'gather': (lambda: [rnd(3, 4), idx(4, 3, 2)], [0], lambda x, i: x.gather(1, i)),
    'scatter': (lambda: [rnd(3, 5), torch.tensor([[0, 1], [2, 3], [4, 0]]), rnd(3, 2)], [0, 2], lambda x, i, s: x.scatter(1, i, s)),
    'scatter_scalar': (lambda: [rnd(3, 5), torch.tensor([[0], [2], [4]])], [0], lambda x, i: x.scatter(1, i, 9.0)),
    'scatter_add': (lambda: [rnd(2, 4), torch.tensor([[0, 1, 0], [3, 3, 2]]), rnd(2, 3)], [0, 2], lambda x, i, s: x.scatter_add(1, i, s)),
    'triu': (lambda: [rnd(4, 4)], [0], lambda x: x.triu(1)),
    'tril': (lambda: [rnd(4, 4)], [0], lambda x: x.tril(-1)),
    'one_hot': (lambda: [torch.tensor([0, 2, 1])], [], lambda i: F.one_hot(i, 4)),
    # nn functions
    'linear': (lambda: [rnd(2, 3, 4), rnd(5, 4), rnd(5)], [0, 1, 2], F.linear),
    'linear_no_bias': (lambda: [rnd(3, 4), rnd(5, 4)], [0, 1], F.linear),
    'embedding': (lambda: [torch.tensor([[0, 2], [4, 2]]), rnd(5, 3)], [1], F.embedding),
    'embedding_padding': (lambda: [torch.tensor([[0, 2], [4, 2]]), rnd(5, 3)], [1], lambda i, w: F.embedding(i, w, padding_idx=2)),
    'layer_norm': (lambda: [rnd(2, 3, 4), rnd(4), rnd(4)], [0, 1, 2], lambda x, w, b: F.layer_norm(x, [4], w, b)),
    'layer_norm_2d': (lambda: [rnd(2, 3, 4)], [0], lambda x: F.layer_norm(x, [3, 4], eps=1e-3)),
    'conv2d': (lambda: [rnd(1, 2, 5, 5), rnd(3, 2, 3, 3), rnd(3)], [0, 1, 2], lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1)),
    'conv2d_patch': (lambda: [rnd(2, 3, 4, 4), rnd(4, 3, 2, 2)], [0, 1], lambda x, w: F.conv2d(x, w, stride=2)),
    'cross_entropy': (lambda: [rnd(4, 5), torch.tensor([1, 0, 4, 2])], [0], F.cross_entropy),
    'cross_entropy_ignore': (lambda: [rnd(4, 5), torch.tensor([1, -100, 4, -100])], [0], F.cross_entropy),
    'cross_entropy_ignore_custom_sum': (lambda: [rnd(4, 5), torch.tensor([1, 3, 4, 3])], [0], lambda x, t: F.cross_entropy(x, t, ignore_index=3, reduction='sum')),
    'cross_entropy_smoothing': (lambda: [rnd(4, 5), torch.tensor([1, 0, 4, 2])], [0], lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1)),
    'cross_entropy_none_3d': (lambda: [rnd(2, 5, 3), idx(5, 2, 3)], [0], lambda x, t: F.cross_entropy(x, t, reduction='none')),
    'nll_loss': (lambda: [rnd(4, 5).log_softmax(1), torch.tensor([1, 0, 4, 2])], [0], F.nll_loss),
    'mse_loss': (lambda: [rnd(3, 4), rnd(3, 4)], [0, 1], F.mse_loss),
    'bce_with_logits': (lambda: [rnd(3, 4), torch.rand(3, 4)], [0], F.binary_cross_entropy_with_logits),
    'attention_causal': (lambda: [rnd(2, 2, 5, 4), rnd(2, 2, 5, 4), rnd(2, 2, 5, 3)], [0, 1, 2], lambda q, k, v: attention(q, k, v, causal=True)),
    'attention_cross_causal': (lambda: [rnd(1, 3, 4), rnd(1, 6, 4), rnd(1, 6, 4)], [0, 1, 2], lambda q, k, v: attention(q, k, v, causal=True)),
    'attention_mask': (lambda: [rnd(2, 4, 3), rnd(2, 5, 3), rnd(2, 5, 3), torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool).view(2, 1, 5)], [0, 1, 2], lambda q, k, v, m: attention(q, k, v, mask=m)),
    'attention_broadcast_causal': (lambda: [rnd(2, 3, 4), rnd(1, 3, 4), rnd(1, 3, 2)], [0, 1, 2], lambda q, k, v: attention(q, k, v, causal=True)),
    'pad': (lambda: [rnd(2, 3, 4)], [0], lambda x: F.pad(x, [1, 2, 0, 1], value=0.5)),
    'pad_crop': (lambda: [rnd(2, 5)], [0], lambda x: F.pad(x, [-1, 2])),
}


def run_case(name, make, diff, fn):
    inputs = make()
    for i in diff:
        inputs[i].requires_grad_(True)
    out = fn(*inputs)
    outs = out if isinstance(out, list) else [out]
    case = {
        'name': name,
        'inputs': [encode(t) for t in inputs],
        'differentiable': diff,
        'outputs': [encode(o) for o in outs],
    }
    if diff:
        float_outs = [o for o in outs if o.is_floating_point()]
        upstream = [torch.randn(o.shape) for o in float_outs]
        total = sum((o * u).sum() for o, u in zip(float_outs, upstream))
        grads = torch.autograd.grad(total, [inputs[i] for i in diff], allow_unused=True)
        case['upstream'] = [encode(u) for u in upstream]
        case['grads'] = [encode(g if g is not None else torch.zeros_like(inputs[i])) for g, i in zip(grads, diff)]
    return case


def random_stream():
    """The global generator's stream after manual_seed: the engine must reproduce it exactly."""
    out = {}
    torch.manual_seed(42)
    out['randn'] = encode(torch.randn(2, 3))
    out['rand'] = encode(torch.rand(4))
    out['randint'] = encode(torch.randint(0, 10, (5,)))
    out['multinomial'] = encode(torch.multinomial(torch.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]]), 4, replacement=True))
    out['dropout'] = encode(F.dropout(torch.ones(10), 0.5, training=True))
    out['normal_'] = encode(torch.empty(3).normal_(1.0, 2.0))
    out['uniform_'] = encode(torch.empty(3).uniform_(-1.0, 1.0))
    return out


def optimizers():
    """Three steps of AdamW and SGD on loss = sum((p * c)^2) + sum(p), and grad-norm clipping."""
    torch.manual_seed(7)
    p0 = torch.randn(2, 3)
    c = torch.randn(2, 3)
    out = {'p0': encode(p0), 'c': encode(c)}

    def run(make_opt, clip=None):
        p = p0.clone().requires_grad_(True)
        opt = make_opt([p])
        norms = []
        for _ in range(3):
            opt.zero_grad()
            ((p * c) ** 2).sum().add(p.sum()).backward()
            if clip is not None:
                norms.append(float(torch.nn.utils.clip_grad_norm_([p], clip)))
            opt.step()
        return {'params': encode(p), 'norms': norms}

    out['adamw'] = run(lambda ps: torch.optim.AdamW(ps, lr=0.1, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.05))
    out['adamw_clipped'] = run(lambda ps: torch.optim.AdamW(ps, lr=0.1), clip=0.5)
    out['sgd'] = run(lambda ps: torch.optim.SGD(ps, lr=0.05))
    out['sgd_momentum'] = run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01))
    out['sgd_nesterov'] = run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True))
    return out


def main():
    torch.manual_seed(1234)
    cases = [run_case(name, *spec) for name, spec in CASES.items()]
    result = {
        'generator': 'scripts/make-engine-fixtures.py',
        'torch': torch.__version__,
        'cases': cases,
        'random': random_stream(),
        'optim': optimizers(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    tmp = OUT + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(result, f, separators=(',', ':'))
        f.write('\n')
    os.replace(tmp, OUT)
    print(f'wrote {len(cases)} cases to {os.path.relpath(OUT, ROOT)}', file=sys.stderr)


if __name__ == '__main__':
    main()
