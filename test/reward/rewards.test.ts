// RL rewards on hand cases (spec §3): F, R, C and R × (1 + 0.5·C) + 0.5·F, with the rule referee,
// no referee (w/o consistency) and a failing OpenAI-compatible referee (C = 0, counted).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOpenAIReferee, createRuleReferee } from '../../src/reward/referees/index.js';
import { scoreJudgements } from '../../src/reward/rewards.js';
import { startLoopbackReferee } from './loopback-referee.js';

const texts = [
  // right, strict, consistent → 1·(1 + 0.5) + 0.5 = 2
  '<think>Response 1 misses the dog, so response 2 is better.</think><answer>2</answer>',
  // right, strict, inconsistent (argues for 2, answers 1; label 1) → 1·(1 − 0.5) + 0.5 = 1
  '<think>Response 1 misses the dog, so response 2 is better.</think><answer>1</answer>',
  // wrong, strict → 0.5 whatever C says
  '<think>Response 1 is better.</think><answer>1</answer>',
  // right via the released fallback, not strict format; no tags so the rule referee cannot tell → 1
  'Probably 2',
  // unparseable and not strict → 0
  '<think>hmm</think><answer>3</answer> trailing',
];
const labels: (1 | 2)[] = [2, 1, 2, 2, 1];

describe('RL rewards (spec §3)', () => {
  it('rule referee: every value of the reward on hand cases', async () => {
    const batch = await scoreJudgements(texts, labels, { referee: createRuleReferee() });
    assert.deepEqual(batch.rewards, [2, 1, 0.5, 1, 0]);
    assert.deepEqual(
      batch.scored.map((s) => [s.format, s.result, s.consistency]),
      [
        [1, 1, 1],
        [1, 1, -1],
        [1, 0, 1],
        [0, 1, 0],
        [0, 0, 0],
      ],
    );
    assert.equal(batch.formatRate, 3 / 5);
    assert.equal(batch.resultRate, 3 / 5);
    assert.equal(batch.inconsistentRate, 1 / 5);
    assert.equal(batch.fallbackChoices, 1);
    assert.equal(batch.unparseable, 1);
    assert.equal(batch.refereeFailures, 0);
  });

  it('w/o consistency: C = 0 for every judgement', async () => {
    const batch = await scoreJudgements(texts, labels, { referee: null });
    assert.deepEqual(batch.rewards, [1.5, 1.5, 0.5, 1, 0]);
  });

  it('a referee that fails gives C = 0 and is counted, never a crash', async () => {
    const endpoint = await startLoopbackReferee({ status: 500 });
    try {
      const referee = createOpenAIReferee({ baseURL: endpoint.url, maxAttempts: 1, timeoutMs: 2000 });
      const batch = await scoreJudgements(texts.slice(0, 2), [2, 1], { referee });
      assert.deepEqual(batch.rewards, [1.5, 1.5]);
      assert.equal(batch.refereeFailures, 2);
    } finally {
      await endpoint.close();
    }
  });

  it('rejects mismatched labels with a clear message', async () => {
    await assert.rejects(scoreJudgements(texts, [1], { referee: null }), /5 judgements but 1 labels/);
  });
});
