import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/algo/random.js';
import { AdamW, scope } from '../../src/engine/index.js';
import { generate } from '../../src/model/generate.js';
import { sequenceLogProbs, sequenceLogProbsNoGrad } from '../../src/model/scoring.js';
import { noiseImage, promptIds, tinyModel, tokenizer } from './tiny-model.js';

// The prompt text is the same for every example: only the image tells which judgement follows, so
// a low loss is only reachable through the vision encoder and projector.
const targets = [
  '<think>the image shows a red square</think><answer>1</answer>',
  '<think>the image shows a blue circle</think><answer>2</answer>',
];
const examples = [0, 1, 2, 3].map((i) => ({
  image: noiseImage(100 + i, [0.2, 0.8, 0.45, 0.6][i]),
  target: targets[i % 2]!,
}));
const prompt = promptIds('Question: which response is better?\n', 1);
const eos = tokenizer.id('eos');

describe('a tiny model overfits image + text examples', () => {
  it('drives the loss below 0.05 nats/token, and the judgement follows the image', () => {
    const model = tinyModel(11);
    const optimizer = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
    const batch = {
      prompts: examples.map(() => prompt),
      responses: examples.map((e) => [...tokenizer.encode(e.target), eos]),
      images: examples.map((e) => [e.image]),
    };
    let loss = Number.POSITIVE_INFINITY;
    for (let step = 0; step < 400 && loss > 0.01; step++) {
      loss = scope(() => {
        const { logProbs, mask } = sequenceLogProbs(model, batch);
        const l = logProbs.mul(mask).sum().neg().div(mask.sum());
        l.backward();
        return l.item();
      });
      optimizer.step();
      optimizer.zeroGrad();
    }
    assert.ok(loss < 0.05, `loss ${loss} after training`);

    // Swapping the images makes the same targets unlikely: the answer is read from the image.
    const swapped = sequenceLogProbsNoGrad(model, {
      ...batch,
      images: examples.map((_, i) => [examples[i ^ 1]!.image]),
    });
    const own = sequenceLogProbsNoGrad(model, batch);
    own.forEach((row, i) => {
      const gap = row.reduce((s, x) => s + x, 0) - swapped[i]!.reduce((s, x) => s + x, 0);
      assert.ok(gap > 3, `example ${i}: log p(target | own image) − log p(target | other image) = ${gap}`);
    });

    // Greedy judging reproduces each image's judgement, ending at </answer> or at end of sequence.
    const prompts = examples.map((e) => ({ tokens: prompt, images: [e.image] }));
    const stopped = generate(
      model,
      tokenizer,
      prompts,
      { maxNewTokens: 40, temperature: 0, stop: ['</answer>'] },
      new Rng(0),
    );
    const ended = generate(model, tokenizer, prompts, { maxNewTokens: 40, temperature: 0 }, new Rng(0));
    examples.forEach((e, i) => {
      assert.equal(stopped[i]![0]!.text, e.target);
      assert.equal(stopped[i]![0]!.finishReason, 'stop');
      assert.equal(ended[i]![0]!.text, e.target);
      assert.equal(ended[i]![0]!.finishReason, 'eos');
      assert.equal(ended[i]![0]!.tokenIds.at(-1), eos);
    });
    optimizer.dispose();
    model.dispose();
  });
});
