import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/algo/random.js';
import { noGrad, scope } from '../../src/engine/index.js';
import { generate, type Prompt } from '../../src/model/generate.js';
import type { VisionLanguageModel } from '../../src/model/model.js';
import { sequenceLogProbsNoGrad } from '../../src/model/scoring.js';
import {
  config,
  maxAbsDiff,
  noiseImage,
  promptIds,
  tinyModel,
  tokenizer,
  withRandomMixing,
} from './tiny-model.js';

const model = tinyModel(3);
// Prompts of different lengths (left padding), with one, two and no images.
const prompts: Prompt[] = [
  { tokens: promptIds('Question: which response is better?', 1), images: [noiseImage(11)] },
  { tokens: promptIds('Question: red?', 2), images: [noiseImage(12, 0.3), noiseImage(13, 0.7)] },
  { tokens: promptIds('Response 1: a blue circle', 0) },
];

function rescore(
  model: VisionLanguageModel,
  out: ReturnType<typeof generate>,
  n: number,
): { got: number[]; want: number[] } {
  const rows = prompts.flatMap((p, i) => out[i]!.map((g) => ({ p, g })));
  assert.equal(rows.length, prompts.length * n);
  const want = sequenceLogProbsNoGrad(model, {
    prompts: rows.map((r) => r.p.tokens),
    responses: rows.map((r) => r.g.tokenIds),
    images: rows.map((r) => r.p.images ?? []),
  });
  return { got: rows.flatMap((r) => r.g.logProbs), want: want.flat() };
}

describe('generate', () => {
  // Rotary positions rotate each row from its first real token, as learned positions count from it.
  for (const positions of ['learned', 'rope'] as const) {
    it(`KV-cache decoding gives the same log-probs as a full forward pass (to 1e-5; ${positions} positions)`, () => {
      const m = positions === 'rope' ? tinyModel(3, 'rope') : model;
      for (const n of [1, 3]) {
        const out = generate(
          m,
          tokenizer,
          prompts,
          { maxNewTokens: 24, temperature: 1, n, stopAtEos: false },
          new Rng(5),
        );
        assert.ok(
          out.every((samples) => samples.length === n && samples.every((g) => g.tokenIds.length === 24)),
        );
        const { got, want } = rescore(m, out, n);
        const diff = maxAbsDiff(got, want);
        assert.ok(diff < 1e-5, `max |Δ log p| = ${diff}`);
      }
      if (m !== model) m.dispose();
    });
  }

  it('with local mixing: decoding (the fused step, with its mix history) gives the forward pass log-probs', () => {
    const m = withRandomMixing(tinyModel(3, 'rope', { localMix: 3 }), 2);
    const params = { maxNewTokens: 20, temperature: 1, n: 2, stopAtEos: false };
    const out = generate(m, tokenizer, prompts, params, new Rng(5));
    const { got, want } = rescore(m, out, 2);
    assert.ok(maxAbsDiff(got, want) < 1e-5, `max |Δ log p| = ${maxAbsDiff(got, want)}`);
    // The mixing changes the function: the same samples score differently without it.
    const plain = tinyModel(3, 'rope');
    assert.ok(maxAbsDiff(rescore(plain, out, 2).want, want) > 1e-3);
    plain.dispose();
    m.dispose();
  });

  it('seeded sampling is reproducible, and samples of one prompt differ', () => {
    const params = { maxNewTokens: 16, temperature: 1, n: 2, stopAtEos: false };
    const a = generate(model, tokenizer, prompts, params, new Rng(9));
    const b = generate(model, tokenizer, prompts, params, new Rng(9));
    const c = generate(model, tokenizer, prompts, params, new Rng(10));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.notDeepEqual(a[0]![0]!.tokenIds, a[0]![1]!.tokenIds);
  });

  it('never samples the image placeholder, and rescoring renormalises without it', () => {
    const m = tinyModel(8);
    const image = tokenizer.id('image');
    // The tied head: a huge embedding row makes the placeholder the likeliest next token everywhere.
    const tok = m.namedParameters().find(([name]) => name === 'lm.tok.weight')![1];
    noGrad(() => scope(() => tok.narrow(0, image, 1).mul_(200)));
    const params = { maxNewTokens: 8, temperature: 1, n: 2, stopAtEos: false };
    const out = generate(m, tokenizer, prompts, params, new Rng(4));
    assert.ok(out.flat().every((g) => !g.tokenIds.includes(image)));
    const { got, want } = rescore(m, out, 2);
    assert.ok(maxAbsDiff(got, want) < 1e-5, `max |Δ log p| = ${maxAbsDiff(got, want)}`);
    m.dispose();
  });

  it('greedy equals top-k 1; top-k and top-p never pick outside their sets', () => {
    const greedy = generate(
      model,
      tokenizer,
      prompts,
      { maxNewTokens: 12, temperature: 0, stopAtEos: false },
      new Rng(1),
    );
    const top1 = generate(
      model,
      tokenizer,
      prompts,
      { maxNewTokens: 12, topK: 1, stopAtEos: false },
      new Rng(2),
    );
    assert.deepEqual(
      greedy.map((s) => s[0]!.tokenIds),
      top1.map((s) => s[0]!.tokenIds),
    );
    const V = config.vocabSize;
    for (const params of [
      { topK: 3, temperature: 1.5 },
      { topP: 0.5, temperature: 1.5 },
    ]) {
      const out = generate(
        model,
        tokenizer,
        prompts,
        { maxNewTokens: 12, n: 4, stopAtEos: false, ...params },
        new Rng(4),
      );
      prompts.forEach((p, i) => {
        for (const g of out[i]!) {
          const seq = [...p.tokens, ...g.tokenIds];
          const logits = noGrad(() =>
            scope(
              () => model.forward({ tokens: [seq], images: [p.images ?? []] }).toTypedArray() as Float32Array,
            ),
          );
          g.tokenIds.forEach((token, j) => {
            const row = Array.from(logits.subarray((p.tokens.length - 1 + j) * V, (p.tokens.length + j) * V));
            const order = row.map((_, k) => k).sort((x, y) => row[y]! - row[x]!);
            if ('topK' in params) {
              assert.ok(order.slice(0, 3).includes(token), `token ${token} is outside the top 3`);
            } else {
              // The nucleus: most likely tokens (at temperature 1.5) until their mass reaches 0.5.
              const w = row.map((l) => Math.exp((l - row[order[0]!]!) / 1.5));
              const total = w.reduce((s, x) => s + x, 0);
              let mass = 0;
              const nucleus: number[] = [];
              for (const k of order) {
                nucleus.push(k);
                mass += w[k]! / total;
                if (mass >= 0.5 - 1e-6) break;
              }
              assert.ok(nucleus.includes(token), `token ${token} is outside the top-p nucleus`);
            }
          });
        }
      });
    }
  });

  it('stops at a stop string (kept) and respects maxNewTokens', () => {
    const greedy = generate(
      model,
      tokenizer,
      [prompts[0]!],
      { maxNewTokens: 20, temperature: 0, stopAtEos: false },
      new Rng(1),
    )[0]![0]!;
    // A stop string made of the greedy text's tokens 5–6: generation must end right after token 6.
    const stop = tokenizer.decode(greedy.tokenIds.slice(5, 7));
    const first = greedy.text.indexOf(stop);
    const stopped = generate(
      model,
      tokenizer,
      [prompts[0]!],
      { maxNewTokens: 20, temperature: 0, stop: [stop], stopAtEos: false },
      new Rng(1),
    )[0]![0]!;
    assert.equal(stopped.finishReason, 'stop');
    assert.ok(stopped.text.endsWith(stop));
    assert.equal(stopped.text.indexOf(stop), first);
    assert.deepEqual(stopped.tokenIds, greedy.tokenIds.slice(0, stopped.tokenIds.length));
    assert.equal(greedy.finishReason, 'length');
    assert.throws(
      () => generate(model, tokenizer, prompts, { maxNewTokens: config.maxSeqLen }, new Rng(1)),
      /exceeds config.maxSeqLen/,
    );
  });
});
