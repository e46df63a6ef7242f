import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { consistencyFromReferee, isStrictFormat, parseJudgement, r1Reward } from '../../src/index.js';

describe('parseJudgement (spec §2)', () => {
  it('reads the first answer tag and checks the strict format', () => {
    assert.deepEqual(parseJudgement('<think>Response 2 invents a dog.</think><answer>1</answer>'), {
      choice: 1,
      via: 'tag',
      strictFormat: true,
      analysis: 'Response 2 invents a dog.',
    });
    const spaced = parseJudgement('<think>a\nb</think>\n<answer> 2 </answer>');
    assert.equal(spaced.choice, 2);
    assert.equal(spaced.via, 'tag');
    assert.equal(
      spaced.strictFormat,
      false,
      'whitespace between </think> and <answer> breaks the strict format',
    );
  });

  it('rejects repeated tags and trailing text in the strict format', () => {
    assert.equal(isStrictFormat('<think>x</think><answer>1</answer>'), true);
    assert.equal(isStrictFormat('<think>x<think>y</think><answer>1</answer>'), false);
    assert.equal(isStrictFormat('<think>x</think><answer>1</answer><answer>2</answer>'), false);
    assert.equal(isStrictFormat('<think>x</think><answer>1</answer> '), false);
    assert.equal(isStrictFormat(' <think>x</think><answer>1</answer>'), false);
  });

  it('uses the first of several answer tags', () => {
    assert.equal(parseJudgement('<answer>2</answer> then <answer>1</answer>').choice, 2);
  });

  it('falls back to the last 1 or 2 in the text when there is no answer tag, and says so', () => {
    const out = parseJudgement('<think>Response 1 is wrong, so response 2 wins');
    assert.deepEqual([out.choice, out.via, out.strictFormat], [2, 'fallback', false]);
    assert.deepEqual([parseJudgement('<answer>1').choice, parseJudgement('<answer>1').via], [1, 'fallback']);
  });

  it('is unparseable when the tag holds anything but 1 or 2, or no digit exists', () => {
    assert.deepEqual(
      [
        parseJudgement('<think>t</think><answer>Response 1</answer>').choice,
        parseJudgement('<answer>3</answer>').via,
      ],
      [null, 'none'],
    );
    assert.equal(parseJudgement('no verdict at all').choice, null);
    assert.equal(parseJudgement('').via, 'none');
  });

  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = parseJudgement(s);
        return out.choice === null || out.choice === 1 || out.choice === 2;
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('<think>', '</think>', '<answer>', '</answer>', '1', '2', 'x', '\n', ' ')),
        (parts) => {
          parseJudgement(parts.join(''));
          return true;
        },
      ),
    );
  });
});

describe('consistencyFromReferee (spec §3)', () => {
  it('maps replies as the released referee does', () => {
    assert.equal(consistencyFromReferee('1'), 1);
    assert.equal(consistencyFromReferee(' 0\n'), -1);
    assert.equal(consistencyFromReferee('Output: 1'), 1);
    assert.equal(consistencyFromReferee('10'), -1, "a reply containing '0' counts as a mismatch first");
    assert.equal(consistencyFromReferee('match'), 0);
    assert.equal(consistencyFromReferee(null), 0);
    assert.equal(consistencyFromReferee(undefined), 0);
  });
});

describe('r1Reward (spec §3)', () => {
  it('takes exactly the values {0, 0.5, 1, 1.5, 2}', () => {
    const table: [number, number, number, number][] = [
      // format, result, consistency, reward
      [0, 0, 0, 0],
      [1, 0, 1, 0.5],
      [1, 0, -1, 0.5],
      [0, 1, -1, 0.5],
      [0, 1, 0, 1],
      [1, 1, -1, 1],
      [1, 1, 0, 1.5],
      [0, 1, 1, 1.5],
      [1, 1, 1, 2],
    ];
    for (const [format, result, consistency, reward] of table) {
      assert.equal(
        r1Reward({ format, result, consistency }),
        reward,
        `F=${format} R=${result} C=${consistency}`,
      );
    }
    const values = new Set<number>();
    for (const format of [0, 1])
      for (const result of [0, 1])
        for (const consistency of [-1, 0, 1]) values.add(r1Reward({ format, result, consistency }));
    assert.deepEqual([...values].sort(), [0, 0.5, 1, 1.5, 2]);
  });

  it('honours custom weights and rejects out-of-range parts', () => {
    assert.equal(
      r1Reward({ format: 1, result: 1, consistency: 1 }, { consistencyWeight: 0, formatWeight: 0 }),
      1,
    );
    assert.throws(() => r1Reward({ format: 2, result: 1, consistency: 0 }), /format must be 0 or 1/);
    assert.throws(() => r1Reward({ format: 1, result: 1, consistency: 3 }), /consistency must be in/);
    assert.throws(
      () => r1Reward({ format: 1, result: 1, consistency: Number.NaN }),
      /consistency must be a finite number/,
    );
  });
});
