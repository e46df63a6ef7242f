#!/usr/bin/env python3
"""PyTorch side of bench/sampling: the same model, the same KV-cache decoding, eager PyTorch.

A line-oriented JSON server driven by bench/sampling/run.ts, which alternates the two sides run by
run. It loads the exact weights run.ts initialised (a safetensors file, read with numpy), so both
sides decode the same model; greedy decoding is cross-checked token for token.

Decoding mirrors src/model/model.ts `step`: a preallocated cache [B, H, capacity, hd] per layer
written in place, q/k/v from one matmul, attention over the filled columns, tied output head; then
sampling at temperature 1 (softmax + multinomial) and the sampled tokens' log-probs, as generate().
The 'cat' variant is the common eager style instead: each layer's cache grows by torch.cat.

Presets with local mixing (config.localMix = K, model.ts localMix) add to each block's normalised
input a + sum_k w[k-1] * a[t-k]; decoding keeps each layer's last K normalised inputs. Presets with
a vision tower encode each prompt's images (model.ts encodeImages) and put the projected image
embeddings in place of the image placeholder tokens, in order, in every generate call.
"""
import json
import math
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = int.from_bytes(data[:8], 'little')
    header = json.loads(data[8:8 + n])
    start = 8 + n
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        assert entry['dtype'] == 'F32', name
        b, e = entry['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[start + b:start + e], dtype='<f4').copy()).view(entry['shape'])
    return out


def loaded_blas():
    found = set()
    with open('/proc/self/maps') as maps:
        for line in maps:
            if '/' in line and any(k in line.lower() for k in ('blas', 'mkl', 'lapack')):
                found.add(line[line.index('/'):].strip())
    return sorted(found)


def block_weights(weights, prefix):
    return tuple(weights[f'{prefix}.{n}'] for n in (
        'ln1.weight', 'ln1.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight', 'attn.proj.bias',
        'ln2.weight', 'ln2.bias', 'mlp.fc.weight', 'mlp.fc.bias', 'mlp.proj.weight', 'mlp.proj.bias'))


class Vision:
    """model.ts encodeImages: patches (channel, y, x) -> (x - 0.5) / 0.25 -> linear + positions ->
    bidirectional pre-LN blocks -> LN -> projector into the LM's width."""

    def __init__(self, weights, cfg):
        self.size = cfg['imageSize']
        self.patch = cfg['patchSize']
        self.d = cfg['dModel']
        self.heads = cfg['nHeads']
        self.blocks = [block_weights(weights, f'vision.blocks.{i}') for i in range(cfg['nLayers'])]
        self.pw, self.pb = weights['vision.patch.weight'], weights['vision.patch.bias']
        self.pos = weights['vision.pos.weight']
        self.lnw, self.lnb = weights['vision.ln.weight'], weights['vision.ln.bias']
        self.projw, self.projb = weights['projector.weight'], weights['projector.bias']

    def __call__(self, images):
        """images [N, 3, S, S] -> [N, patches, LM width]."""
        N, p, g = images.shape[0], self.patch, self.size // self.patch
        patches = images.view(N, 3, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(N, g * g, 3 * p * p)
        x = F.linear((patches - 0.5) / 0.25, self.pw, self.pb) + self.pos
        d, H = self.d, self.heads
        hd = d // H
        for (l1w, l1b, qw, qb, pw, pb, l2w, l2b, fw, fb, ow, ob) in self.blocks:
            T = x.shape[1]
            q, k, v = F.linear(F.layer_norm(x, (d,), l1w, l1b), qw, qb).view(N, T, 3, H, hd).permute(2, 0, 3, 1, 4)
            att = ((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))).softmax(dim=-1)
            x = x + F.linear((att @ v).transpose(1, 2).reshape(N, T, d), pw, pb)
            x = x + F.linear(F.gelu(F.linear(F.layer_norm(x, (d,), l2w, l2b), fw, fb)), ow, ob)
        return F.linear(F.layer_norm(x, (d,), self.lnw, self.lnb), self.projw, self.projb)


class Model:
    def __init__(self, weights, cfg, images=None, image_token=None):
        self.w = weights
        self.d = cfg['dModel']
        self.heads = cfg['nHeads']
        self.layers = cfg['nLayers']
        self.hd = self.d // self.heads
        self.vocab = cfg['vocabSize']
        if cfg.get('positions', 'learned') != 'learned':
            raise ValueError('reference.py implements learned LM positions only; pick a preset without rope')
        self.blocks = [block_weights(weights, f'lm.blocks.{i}') for i in range(self.layers)]
        # Local mixing: per layer the weights [K, d] reversed, so row j pairs with history row j
        # (oldest first): sum_k w[k-1] * a[t-k] = sum_j w_rev[j] * history[j].
        self.mix_k = cfg.get('localMix') or 0
        self.mix = [weights[f'lm.blocks.{i}.mix.weight'] for i in range(self.layers)] if self.mix_k else None
        self.mix_rev = [w.flip(0) for w in self.mix] if self.mix else None
        self.vision = Vision(weights, cfg['vision']) if cfg.get('vision') else None
        self.images = images  # [B, imagesPerPrompt, 3, S, S] or None
        self.image_token = image_token
        self.tok = weights['lm.tok.weight']
        self.pos = weights['lm.pos.weight']
        self.lnw = weights['lm.ln.weight']
        self.lnb = weights['lm.ln.bias']

    def head(self, x):
        return F.linear(F.layer_norm(x, (self.d,), self.lnw, self.lnb), self.tok)

    def embed(self, ids, with_images):
        x = F.embedding(ids, self.tok)
        if with_images and self.images is not None:
            # Every image placeholder's embedding, in order, replaced by the projected image tokens.
            B, n = self.images.shape[:2]
            features = self.vision(self.images.flatten(0, 1)).reshape(B, -1, self.d)
            x = x.clone()
            x[ids == self.image_token] = features.reshape(-1, self.d)
        return x

    def mix_window(self, a, layer):
        """Prefill: a [B, T, d] -> (mixed a, the last K rows of the zero-padded window)."""
        K, T = self.mix_k, a.shape[1]
        window = F.pad(a, (0, 0, K, 0))
        out = a
        for k in range(1, K + 1):
            out = out + window[:, K - k:K - k + T] * self.mix[layer][k - 1]
        return out, window[:, T:].clone()

    def mix_step(self, a, history, layer):
        """Decode: a [B, d], history [B, K, d] -> (mixed a, the shifted history)."""
        mixed = a + (history * self.mix_rev[layer]).sum(1)
        return mixed, torch.cat([history[:, 1:], a.unsqueeze(1)], 1)

    def prefill(self, ids, capacity, with_images=False):
        """ids [B, T] → (last-position logits [B, V], caches)."""
        B, T = ids.shape
        d, H, hd = self.d, self.heads, self.hd
        caches = []
        self.histories = [None] * self.layers
        x = self.embed(ids, with_images) + self.pos[:T]
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)
        for i, (l1w, l1b, qw, qb, pw, pb, l2w, l2b, fw, fb, ow, ob) in enumerate(self.blocks):
            a = F.layer_norm(x, (d,), l1w, l1b)
            if self.mix:
                a, self.histories[i] = self.mix_window(a, i)
            qkv = F.linear(a, qw, qb)
            q, k, v = qkv.view(B, T, 3, H, hd).permute(2, 0, 3, 1, 4).unbind(0)
            kc = torch.empty(B, H, capacity, hd)
            vc = torch.empty(B, H, capacity, hd)
            kc[:, :, :T] = k
            vc[:, :, :T] = v
            caches.append((kc, vc))
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
            att = att.masked_fill(causal, float('-inf')).softmax(dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, d)
            x = x + F.linear(y, pw, pb)
            x = x + F.linear(F.gelu(F.linear(F.layer_norm(x, (d,), l2w, l2b), fw, fb)), ow, ob)
        return self.head(x[:, -1]), caches

    def step(self, caches, tokens, t):
        """tokens [B] at column t → next logits [B, V]."""
        B = tokens.shape[0]
        d, H, hd = self.d, self.heads, self.hd
        x = F.embedding(tokens, self.tok) + self.pos[t]
        scale = 1.0 / math.sqrt(hd)
        for i, ((l1w, l1b, qw, qb, pw, pb, l2w, l2b, fw, fb, ow, ob), (kc, vc)) in enumerate(zip(self.blocks, caches)):
            a = F.layer_norm(x, (d,), l1w, l1b)
            if self.mix:
                a, self.histories[i] = self.mix_step(a, self.histories[i], i)
            qkv = F.linear(a, qw, qb)
            q, k, v = qkv.view(B, 3, H, 1, hd).unbind(1)
            kc[:, :, t:t + 1] = k
            vc[:, :, t:t + 1] = v
            att = ((q @ kc[:, :, :t + 1].transpose(-2, -1)) * scale).softmax(dim=-1)
            y = att @ vc[:, :, :t + 1]
            x = x + F.linear(y.view(B, d), pw, pb)
            x = x + F.linear(F.gelu(F.linear(F.layer_norm(x, (d,), l2w, l2b), fw, fb)), ow, ob)
        return self.head(x)

    def step_cat(self, caches, tokens, t):
        """The common eager style: each layer's cache grows by torch.cat every step."""
        B = tokens.shape[0]
        d, H, hd = self.d, self.heads, self.hd
        x = F.embedding(tokens, self.tok) + self.pos[t]
        scale = 1.0 / math.sqrt(hd)
        for i, (l1w, l1b, qw, qb, pw, pb, l2w, l2b, fw, fb, ow, ob) in enumerate(self.blocks):
            a = F.layer_norm(x, (d,), l1w, l1b)
            if self.mix:
                a, self.histories[i] = self.mix_step(a, self.histories[i], i)
            qkv = F.linear(a, qw, qb)
            q, k, v = qkv.view(B, 3, H, 1, hd).unbind(1)
            kc = torch.cat([caches[i][0], k], dim=2)
            vc = torch.cat([caches[i][1], v], dim=2)
            caches[i] = (kc, vc)
            att = ((q @ kc.transpose(-2, -1)) * scale).softmax(dim=-1)
            x = x + F.linear((att @ vc).view(B, d), pw, pb)
            x = x + F.linear(F.gelu(F.linear(F.layer_norm(x, (d,), l2w, l2b), fw, fb)), ow, ob)
        return self.head(x)

    def generate(self, prompts, max_new, greedy, generator, variant='prealloc'):
        ids = torch.tensor(prompts, dtype=torch.long)
        B, T = ids.shape
        logits, caches = self.prefill(ids, T + max_new, with_images=True)
        if variant == 'cat':
            caches = [(kc[:, :, :T].contiguous(), vc[:, :, :T].contiguous()) for kc, vc in caches]
        step = self.step_cat if variant == 'cat' else self.step
        tokens, logps = [], []
        for i in range(max_new):
            if self.image_token is not None:
                # generate() never samples the image placeholder: its logit is -inf (suppressImagePlaceholder).
                logits[:, self.image_token] = float('-inf')
            logp = torch.log_softmax(logits, dim=-1)
            if greedy:
                nxt = logits.argmax(dim=-1)
            else:
                nxt = torch.multinomial(logp.exp(), 1, generator=generator).squeeze(1)
            tokens.append(nxt)
            logps.append(logp.gather(1, nxt.unsqueeze(1)).squeeze(1))
            if i < max_new - 1:
                logits = step(caches, nxt, T + i)
        return torch.stack(tokens, 1), torch.stack(logps, 1)


def serve():
    model = None
    generator = torch.Generator().manual_seed(0)
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd['op']
        try:
            with torch.inference_mode():
                if op == 'init':
                    torch.set_num_threads(cmd['threads'])
                    images = load_safetensors(cmd['inputs'])['images'] if cmd.get('inputs') else None
                    model = Model(load_safetensors(cmd['weights']), cmd['config'], images, cmd.get('imageTokenId'))
                    out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': loaded_blas()}
                elif op == 'generate':
                    # 'threads' runs this one generation at another intra-op thread count.
                    threads = torch.get_num_threads()
                    torch.set_num_threads(cmd.get('threads', threads))
                    try:
                        start = time.perf_counter()
                        cpu_start = time.process_time()
                        tokens, logps = model.generate(
                            cmd['prompts'], cmd['maxNew'], cmd.get('greedy', False), generator,
                            cmd.get('variant', 'prealloc'))
                        seconds = time.perf_counter() - start
                        cpu_seconds = time.process_time() - cpu_start
                    finally:
                        torch.set_num_threads(threads)
                    out = {'seconds': seconds, 'cpuSeconds': cpu_seconds, 'firstRow': tokens[0].tolist(), 'firstLogProbs': logps[0].tolist()}
                elif op == 'prefill':
                    ids = torch.tensor(cmd['prompts'], dtype=torch.long)
                    start = time.perf_counter()
                    model.prefill(ids, ids.shape[1])
                    out = {'seconds': time.perf_counter() - start}
                elif op == 'rss':
                    out = {'maxRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
                else:
                    out = {'error': f'unknown op {op}'}
        except Exception as error:  # reported to run.ts, which stops with the message
            out = {'error': f'{type(error).__name__}: {error}'}
        sys.stdout.write(json.dumps(out) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    serve()
