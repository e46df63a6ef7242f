import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { judgePair, tally } from '../../src/judge/judge.js';
import { OpenAICompatibleBackend } from '../../src/judge/openai-backend.js';
import { positionsFor, seededCoin } from '../../src/judge/order.js';
import { R1_REWARD_PROMPT_TEMPLATE, renderPrompt } from '../../src/judge/prompt.js';
import { promptText, startScriptedJudge } from './scripted-judge.js';

const server = await startScriptedJudge();
after(() => server.close());
const backend = new OpenAICompatibleBackend({ baseURLs: [server.url], model: 'scripted' });
const pair = {
  id: 'p1',
  images: ['data:image/png;base64,AAAA'],
  question: 'SPLIT which?',
  responses: ['GOOD one', 'bad one'] as const,
};

describe('judgePair: orders, parsing and Voting@K', () => {
  it('random order is a seeded coin per item: stable, and both sides occur', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `id${i}`);
    const positions = ids.map((id) => positionsFor('random', 5, id)[0]);
    assert.deepEqual(
      positions,
      ids.map((id) => positionsFor('random', 5, id)[0]),
    );
    assert.ok(positions.includes(1) && positions.includes(2));
    assert.notDeepEqual(
      positions,
      ids.map((id) => positionsFor('random', 6, id)[0]),
      'another seed, another order',
    );
    assert.equal(seededCoin(1, 'x'), seededCoin(1, 'x'));
    assert.deepEqual(positionsFor('fixed', 5, 'a'), [1]);
    assert.deepEqual(positionsFor('both', 5, 'a'), [1, 2]);
  });

  it('sends the byte-exact prompt with the pair in the shown order, and maps votes back', async () => {
    const before = server.log.length;
    const result = await judgePair(pair, backend, { k: 3, order: 'both', seed: 0 });
    const sent = server.log.slice(before).map((e) => promptText(e.body));
    assert.deepEqual(
      sent.sort(),
      [
        renderPrompt(R1_REWARD_PROMPT_TEMPLATE, {
          question: 'SPLIT which?',
          answer1: 'GOOD one',
          answer2: 'bad one',
        }),
        renderPrompt(R1_REWARD_PROMPT_TEMPLATE, {
          question: 'SPLIT which?',
          answer1: 'bad one',
          answer2: 'GOOD one',
        }),
      ].sort(),
    );
    // SPLIT: samples alternate right, wrong, right in each order → 4 votes for the first response, 2 against
    assert.deepEqual(
      result.judgements.map((j) => [j.firstAt, j.samples.map((s) => s.choice)]),
      [
        [1, [1, 2, 1]],
        [2, [2, 1, 2]],
      ],
    );
    assert.deepEqual(result.votes, { first: 4, second: 2, unparseable: 0 });
    assert.equal(result.preferred, 1);
    assert.equal(result.consistent, true);
    assert.ok(result.judgements.every((j) => j.samples.every((s) => s.via === 'tag' && s.strictFormat)));
  });

  it('an unparseable order leaves consistency undecided; ties give no preference', () => {
    const s = (choice: 1 | 2 | null) => ({
      text: '',
      choice,
      via: choice ? ('tag' as const) : ('none' as const),
      strictFormat: false,
    });
    const t = tally([
      { firstAt: 1, samples: [s(1)], cached: 0 },
      { firstAt: 2, samples: [s(null)], cached: 0 },
    ]);
    assert.equal(t.consistent, null);
    assert.equal(t.preferred, 1);
    const tie = tally([
      { firstAt: 1, samples: [s(1)], cached: 0 },
      { firstAt: 2, samples: [s(1)], cached: 0 }, // always "1": the position, not the response
    ]);
    assert.deepEqual([tie.preferred, tie.consistent], [null, false]);
  });
});
