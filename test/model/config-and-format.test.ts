import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countParameters, presetConfig, tokensPerImage, validateConfig } from '../../src/model/config.js';
import { encodeJudgement, encodeJudgePrompt, renderCompactPrompt } from '../../src/model/judge-format.js';
import { Tokenizer } from '../../src/model/tokenizer.js';

describe('model config', () => {
  it('presets validate and count parameters', () => {
    const ref = presetConfig('reference-lm', 256);
    // vocab 256, d 256, 4 layers: the engine benchmark's ~3.3 M-parameter reference LM.
    assert.equal(countParameters(ref), 3_257_856);
    assert.ok(countParameters(presetConfig('tiny', 300)) < 300_000);
    assert.ok(countParameters(presetConfig('small', 1200)) > 1_000_000);
    assert.equal(tokensPerImage(presetConfig('tiny', 300).vision!), 16);
    // Rotary positions have no parameters: the learned table (maxSeqLen × dModel) goes.
    const tiny = presetConfig('tiny', 300);
    assert.equal(countParameters({ ...tiny, positions: 'rope' }), countParameters(tiny) - 256 * 64);
  });

  it('rejects inconsistent configs naming the field', () => {
    const tiny = presetConfig('tiny', 300);
    assert.throws(
      () => validateConfig({ ...tiny, nHeads: 3 }),
      /dModel \(64\) must be divisible by config.nHeads \(3\)/,
    );
    assert.throws(
      () => validateConfig({ ...tiny, vision: { ...tiny.vision!, patchSize: 5 } }),
      /multiple of patchSize/,
    );
    assert.throws(() => validateConfig({ ...tiny, vocabSize: 0 }), /config.vocabSize must be an integer ≥ 1/);
    assert.throws(
      () => validateConfig({ ...tiny, positions: 'alibi' as never }),
      /config.positions must be "learned" or "rope", got "alibi"/,
    );
    assert.throws(
      () => validateConfig({ ...tiny, dModel: 66, nHeads: 2, positions: 'rope' }),
      /needs an even head width; dModel \/ nHeads = 33/,
    );
    assert.throws(() => presetConfig('huge' as never, 10), /unknown preset "huge"/);
  });
});

describe('compact judge format', () => {
  const tok = Tokenizer.train(['Question: how many? Response 1: two Response 2: three'], { vocabSize: 300 });
  it('substitutes each field once, even if a response contains a placeholder', () => {
    assert.equal(
      renderCompactPrompt({ question: 'Q', response1: '{answer2}', response2: 'B' }),
      'Question: Q\nResponse 1: {answer2}\nResponse 2: B\nWhich response is better?\n',
    );
  });
  it('puts the image tokens first, one block per image', () => {
    const vision = presetConfig('tiny', tok.vocabSize).vision!;
    const ids = encodeJudgePrompt(
      tok,
      { question: 'how many?', response1: 'two', response2: 'three', numImages: 2 },
      vision,
    );
    assert.deepEqual(ids.slice(0, 32), new Array(32).fill(tok.id('image')));
    assert.notEqual(ids[32], tok.id('image'));
    assert.equal(
      tok.decode(ids.slice(32)),
      'Question: how many?\nResponse 1: two\nResponse 2: three\nWhich response is better?\n',
    );
    assert.throws(
      () => encodeJudgePrompt(tok, { question: 'q', response1: 'a', response2: 'b', numImages: 1 }, null),
      /no vision encoder/,
    );
  });
  it('ends a judgement with end of sequence', () => {
    const ids = encodeJudgement(tok, '<think>x</think><answer>1</answer>');
    assert.equal(ids.at(-1), tok.id('eos'));
    assert.equal(ids[0], tok.id('thinkOpen'));
  });
});
