import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createRuleReferee,
  refereeInputFromJudgement,
  ruleConsistency,
  ruleView,
  sentenceVerdict,
} from '../../src/reward/referees/index.js';

const consistency = (judgement: string) => ruleConsistency(refereeInputFromJudgement(judgement)).consistency;
const judged = (analysis: string, choice: string) => `<think>${analysis}</think><answer>${choice}</answer>`;

describe('rule referee', () => {
  it('catches an analysis that argues for 2 and answers 1', () => {
    assert.equal(
      consistency('<think>Response 1 misses the dog, so response 2 is better</think><answer>1</answer>'),
      -1,
    );
    assert.equal(
      consistency('<think>Response 1 misses the dog, so response 2 is better</think><answer>2</answer>'),
      1,
    );
  });

  const consistent: [string, string][] = [
    ['Overall, response one is better.', '1'],
    ['Therefore response two is the better answer.', '2'],
    ["Response 1's answer is more accurate.", '1'],
    ['Response 1 is not better than response 2.', '2'],
    ['Response 2 is better than Response 1 because it correctly identifies the dog.', '2'],
    ['Therefore, the better response is Response 2.', '2'],
    ['Compared to Response 1, Response 2 is more accurate.', '2'],
    ['Response 2, while less detailed, is more accurate.', '2'],
    ['Response 1 is more detailed but less accurate.', '2'],
    ['Response 1 is accurate, whereas Response 2 hallucinates a cat.', '1'],
    ['I would not choose Response 1.', '2'],
    ['Response 1 has no errors and is better.', '1'],
    ['Response 2 is worse than Response 1.', '1'],
    ['I choose 2.', '2'],
    ['The second response is superior.', '2'],
    ['Unlike Response 2, Response 1 correctly counts three apples.', '1'],
    ['**Response 2** is better.', '2'],
    ['Response #1 should be chosen.', '1'],
  ];
  for (const [analysis, choice] of consistent) {
    it(`consistent: "${analysis}" → ${choice}`, () => {
      assert.equal(consistency(judged(analysis, choice)), 1);
      assert.equal(consistency(judged(analysis, choice === '1' ? '2' : '1')), -1);
    });
  }

  const ambiguous = [
    'Both responses are equally good.',
    'Both responses are accurate and helpful.',
    'Response 1 is better and Response 2 is better.',
    'The two responses are on par.',
    'Neither response is better than the other.',
    'There is no clear winner.',
  ];
  for (const analysis of ambiguous) {
    it(`ambiguous ending counts as a mismatch: "${analysis}"`, () => {
      assert.equal(consistency(judged(analysis, '1')), -1);
      assert.equal(consistency(judged(analysis, '2')), -1);
    });
  }

  it('gives 0 when the last 3 lines state no verdict, or there is no final choice', () => {
    assert.equal(consistency(judged('The image shows a dog on a sofa.', '1')), 0);
    assert.equal(consistency('<think>Response 2 is better.</think><answer>maybe</answer>'), 0);
    assert.equal(consistency(''), 0);
  });

  it('reads only the last 3 lines, and the last verdict in them wins', () => {
    const early = 'Response 2 is better.\nLine two.\nLine three.\nLine four.';
    assert.deepEqual(ruleView(early), ['Line two.', 'Line three.', 'Line four.']);
    assert.equal(consistency(judged(early, '1')), 0);
    const flip = 'At first Response 1 looks better.\nOn a closer look Response 2 is more accurate.';
    assert.equal(consistency(judged(flip, '2')), 1);
  });

  it('states its verdict per sentence', () => {
    assert.equal(sentenceVerdict('Response 2 is better'), 2);
    assert.equal(sentenceVerdict('Both responses are fine'), 'both');
    assert.equal(sentenceVerdict('The dog is brown'), null);
  });

  it('is deterministic and reports a one-attempt success through the Referee interface', async () => {
    const referee = createRuleReferee();
    const input = refereeInputFromJudgement(judged('Response 2 is better.', '1'));
    const a = await referee.judge(input);
    const b = await referee.judge(input);
    assert.equal(a.consistency, -1);
    assert.deepEqual({ ...a, latencyMs: 0 }, { ...b, latencyMs: 0 });
    assert.equal(a.attempts, 1);
    assert.equal(a.failure, null);
    assert.match(a.reply ?? '', /verdict 2/);
  });

  it('does not start after its deadline has passed', async () => {
    const verdict = await createRuleReferee().judge(
      refereeInputFromJudgement(judged('Response 2 is better.', '2')),
      AbortSignal.abort(),
    );
    assert.equal(verdict.consistency, 0);
    assert.equal(verdict.failure, 'deadline');
  });
});
