import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SPECIAL_TOKENS, Tokenizer } from '../../src/model/tokenizer.js';

const corpus = [
  '<|image|>Which response is better? Response 1: There are two red circles. Response 2: There are three red circles.',
  '<think>Response 1 says two red circles; the image shows two red circles. Response 2 says three, which is wrong. So response 1 is better.</think><answer>1</answer>',
  'A small blue square is left of a large green triangle.',
  'Ünïcödé text, emoji 🎉 and 数字 12345 also round-trip.',
];

describe('byte-level BPE tokenizer', () => {
  const tok = Tokenizer.train(corpus.concat(corpus), { vocabSize: 400 });

  it('learns merges that shorten frequent text', () => {
    const text = 'Response 1 is better.';
    assert.ok(tok.vocabSize > 263 && tok.vocabSize <= 400);
    assert.ok(tok.encode(text).length < new TextEncoder().encode(text).length);
  });

  it('encodes special tokens as single ids', () => {
    const ids = tok.encode('<think>x</think><answer>2</answer>');
    assert.equal(ids[0], tok.id('thinkOpen'));
    assert.equal(ids.at(-1), tok.id('answerClose'));
    assert.equal(tok.id('pad'), 0);
    assert.equal(tok.decode([tok.id('image')]), SPECIAL_TOKENS.image);
    assert.equal(tok.decode([tok.id('eos'), ...tok.encode('hi')], { skipSpecial: true }), 'hi');
  });

  it('round-trips any Unicode text exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => tok.decode(tok.encode(s)) === s),
    );
    fc.assert(fc.property(fc.string({ unit: 'binary-ascii' }), (s) => tok.decode(tok.encode(s)) === s));
  });

  it('serialises to JSON and back to the same encoding', () => {
    const again = new Tokenizer(JSON.parse(JSON.stringify(tok.toJSON())));
    for (const text of corpus) assert.deepEqual(again.encode(text), tok.encode(text));
  });

  it('training is deterministic', () => {
    assert.deepEqual(
      Tokenizer.train(corpus, { vocabSize: 300 }).toJSON(),
      Tokenizer.train(corpus, { vocabSize: 300 }).toJSON(),
    );
  });

  it('rejects malformed tokenizer.json and out-of-range ids clearly', () => {
    assert.throws(() => new Tokenizer({ type: 'wordpiece' } as never), /expected \{"type":"byte-bpe"/);
    const json = tok.toJSON();
    assert.throws(
      () => new Tokenizer({ ...json, merges: [[9999, 10]] }),
      /merges\[0\] = \[9999, 10\] refers to an id/,
    );
    assert.throws(
      () => new Tokenizer({ ...json, specialTokens: json.specialTokens.slice(1) }),
      /missing the special token <\|pad\|>/,
    );
    assert.throws(() => tok.decode([tok.vocabSize]), /ids\[0\] = \d+ is outside the vocabulary/);
    assert.throws(() => Tokenizer.train(corpus, { vocabSize: 10 }), /vocabSize must be an integer/);
  });
});
