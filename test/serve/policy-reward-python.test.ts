// The policy reward server as the trainers call it from Python (Debian's python3, standard library
// only): OpenRLHF's one-rollout-per-request pattern with a dropped connection and its retry, and
// the shipped verl and TRL reward functions, each against a real server on 127.0.0.1.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { prompt, query, type Served, serve } from './policy-fixtures.js';
import { runPython } from './run-python.js';

const root = new URL('../../', import.meta.url).pathname;

/** Runs python3 and parses its JSON stdout. */
const python = async (args: string[], stdin: string, env: NodeJS.ProcessEnv = {}): Promise<unknown> =>
  JSON.parse(await runPython(args, stdin, { ...process.env, ...env }));

/** Calls `call` (Python source) with the integration module `module` imported from integrations/<dir>. */
const runIntegration = (url: string, dir: string, module: string, call: string) =>
  python(
    [
      '-c',
      `import json, sys; sys.path.insert(0, ${JSON.stringify(join(root, 'integrations', dir))}); import ${module}; print(json.dumps(${call}))`,
    ],
    '',
    { R1_REWARD_URL: url },
  );

interface RewardAnswer {
  rewards: number[];
  scores: number[];
  extra_logs: Record<string, number[]>;
}
interface ClientResult {
  empty: RewardAnswer;
  dropped_held: number;
  rollouts: RewardAnswer[];
}

describe('policy reward server: OpenRLHF’s request pattern from Python', () => {
  let s: Served;
  before(async () => {
    s = await serve({ groupSize: 4 });
  });
  after(() => s.app.close());

  it('answers an empty batch, drops a held connection, and ranks the retry with the concurrent rest', async () => {
    const responses = ['GOOD one', 'plain two', 'GOOD three', 'plain four'];
    const result = (await python(
      [join(root, 'test/serve/openrlhf_policy_client.py'), s.url],
      JSON.stringify({
        prompt: prompt(2),
        queries: responses.map((r) => query(2, r)),
      }),
    )) as ClientResult;
    assert.deepEqual(result.empty, { rewards: [], scores: [], extra_logs: {} });
    assert.equal(result.dropped_held, 1);
    const scores = result.rollouts.map((a) => Math.round(a.scores[0]! * 1000) / 1000);
    assert.deepEqual(scores, [0.833, 0.167, 0.833, 0.167]);
    for (const a of result.rollouts) assert.deepEqual(a.extra_logs.group_size, [4]);
    assert.equal(s.backend.requests.length, 12, 'one group of 4, each of its 6 pairs in both orders');
  });
});

describe('policy reward server: the verl and TRL reward functions', () => {
  let reference: Served;
  let group: Served;
  before(async () => {
    reference = await serve({ mode: 'reference' });
    group = await serve({ groupSize: 2 });
  });
  after(async () => {
    await reference.app.close();
    await group.app.close();
  });

  it('verl compute_score, one sample: the item in ground_truth, the reward in "score"', async () => {
    const truth = JSON.stringify({ question: 'What is shown?', reference: 'a plain reference' });
    const result = await runIntegration(
      reference.url,
      'verl',
      'r1_reward_score',
      `r1_reward_score.compute_score("vqa", "GOOD answer", ${JSON.stringify(truth)}, None)`,
    );
    assert.deepEqual(result, { score: 0.5, win_rate: 1, group_size: 1, judge_failed: 0, consistency: 1 });
  });

  it('verl compute_score, batch manager: one request, groups keyed by extra_info["prompt"]', async () => {
    const result = (await runIntegration(
      group.url,
      'verl',
      'r1_reward_score',
      `r1_reward_score.compute_score(data_sources=["vqa"] * 2, solution_strs=["plain", "GOOD"], ground_truths=[None, None], extra_infos=[{"prompt": ${JSON.stringify(prompt(3))}}] * 2)`,
    )) as { score: number; group_size: number }[];
    assert.deepEqual(
      result.map((r) => [r.score, r.group_size]),
      [
        [-0.5, 2],
        [0.5, 2],
      ],
    );
  });

  it('TRL reward function: conversational prompts and completions, item from the dataset columns', async () => {
    const chat = JSON.stringify([
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Count them' }] },
    ]);
    const result = await runIntegration(
      group.url,
      'trl',
      'r1_reward_fn',
      `r1_reward_fn.r1_reward(prompts=[json.loads(${JSON.stringify(chat)})] * 2, completions=[[{"role": "assistant", "content": "GOOD three"}], [{"role": "assistant", "content": "two"}]], question=["How many?"] * 2, images=[None, None])`,
    );
    assert.deepEqual(result, [0.5, -0.5]);
    assert.equal(group.backend.requests.at(-1)?.text.includes('How many?'), true);
  });
});
