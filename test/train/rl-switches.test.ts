// What each algorithm and switch of the RL loop must change, measured from a trained SFT judge on
// batches with non-zero advantages. The reward is scripted so that every batch has exactly the
// shape a switch acts on: the shortest response of a rollout earns 1 and every other 0, so one
// sequence holds at most 1/16 of the tokens and its z-scored advantage is beyond 3 (√15 ≈ 3.87).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { judgeReward } from '../../src/reward/judge-reward.js';
import { createReferee } from '../../src/reward/referees/index.js';
import type { RewardSource } from '../../src/reward/reward-source.js';
import { encodeItems, readJudgeItems } from '../../src/train/judge-items.js';
import type { RlLoopConfig } from '../../src/train/rl-config.js';
import { runRl } from '../../src/train/rl-loop.js';
import type { RlMetrics } from '../../src/train/rl-metrics.js';
import type { Policy } from '../../src/train/run.js';
import { engineSkipReason } from '../engine/fixtures.js';
import { trainTinyJudge } from './tiny-world.js';

const skip = engineSkipReason();

/** The shortest response of the batch (the first, on a tie) earns 1, every other response 0. */
const shortestWins: RewardSource = {
  async score(rollouts) {
    const lengths = rollouts.map((r) => r.tokenIds.length);
    const shortest = lengths.indexOf(Math.min(...lengths));
    return { rewards: rollouts.map((_, i) => (i === shortest ? 1 : 0)), diagnostics: {} };
  },
};

describe('RL switches from a trained SFT judge, on batches with non-zero advantages', { skip }, () => {
  let dir: string;
  let paths: { world: string; sft: string };
  const runs = new Map<string, Promise<RlMetrics[]>>();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'r1-switches-'));
    paths = await trainTinyJudge(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const judgePrompts = async ({ model, tokenizer }: Policy) => {
    const items = await readJudgeItems({ file: join(paths.world, 'rl.jsonl') });
    const encoded = await encodeItems(items, tokenizer, model.config, {
      withTrace: false,
      responseBudget: 16,
    });
    return { prompts: encoded.items };
  };

  /** The metrics of a seeded run of `steps` steps with `overrides` (each run once per test file). */
  const run = (name: string, overrides: Partial<RlLoopConfig>, steps = 1): Promise<RlMetrics[]> => {
    const cached = runs.get(name);
    if (cached) return cached;
    const rows: RlMetrics[] = [];
    const config: RlLoopConfig = {
      runDir: join(dir, name),
      init: paths.sft,
      seed: 3,
      steps,
      rolloutBatch: 16,
      microBatch: 16,
      lr: 1e-3,
      maxNewTokens: 16,
      evalEvery: 0,
      checkpointEvery: 0,
      ...overrides,
    };
    const done = runRl(
      config,
      { prompts: judgePrompts, reward: shortestWins },
      { onStep: (m) => rows.push(m) },
    ).then(() => rows);
    runs.set(name, done);
    return done;
  };

  /** Every step learned something: a spread of advantages and a gradient. */
  const assertSignal = (rows: RlMetrics[], name: string) => {
    for (const m of rows) {
      assert.ok(m.advantage_std > 0, `${name} step ${m.step}: advantage_std ${m.advantage_std}`);
      assert.ok(m.grad_norm > 0, `${name} step ${m.step}: grad_norm ${m.grad_norm}`);
      assert.ok(Number.isFinite(m.loss), `${name} step ${m.step}: loss ${m.loss}`);
    }
  };

  it('Advantage Filter: the paper and released windows drop the outlier; reinforce++ and filter none keep it', async () => {
    const filtered = async (name: string, overrides: Partial<RlLoopConfig>) => {
      const rows = await run(name, overrides);
      assertSignal(rows, name);
      return rows[0]!.filtered_fraction;
    };
    assert.ok((await filtered('stable-reinforce', {})) > 0, 'stable-reinforce (paper filter)');
    assert.ok((await filtered('ppo-clip', { algorithm: 'ppo-clip' })) > 0, 'ppo-clip (paper filter)');
    assert.ok((await filtered('released', { filter: 'released' })) > 0, 'released window');
    assert.equal(await filtered('no-filter', { filter: 'none' }), 0);
    assert.equal(await filtered('reinforce++', { algorithm: 'reinforce++' }), 0);
  });

  it('β > 0: KL to the reference is 0 before the first update and positive after it (k3 and k1)', async () => {
    for (const klEstimator of ['k3', 'k1'] as const) {
      const rows = await run(`kl-${klEstimator}`, { klCoef: 0.05, klEstimator }, 2);
      assertSignal(rows, klEstimator);
      assert.equal(rows[0]!.ref_kl, 0, `${klEstimator}: the policy is the reference at step 0`);
      assert.ok(rows[1]!.ref_kl > 0, `${klEstimator}: ref_kl ${rows[1]!.ref_kl} after one update`);
    }
    // β = 0 loads no reference and reports 0.
    assert.equal((await run('stable-reinforce', {}))[0]!.ref_kl, 0);
  });

  it('GRPO and RLOO: per-group advantages, non-zero in the group holding the winner', async () => {
    const grpo = (await run('grpo', { algorithm: 'grpo', samplesPerPrompt: 2, rolloutBatch: 8 }))[0]!;
    assertSignal([grpo], 'grpo');
    // A group of two with rewards (1, 0): ±0.5 / unbiased std √0.5 = ±1/√2; every other group 0.
    assert.ok(Math.abs(grpo.advantage_max - Math.SQRT1_2) < 1e-5, `grpo advantage_max ${grpo.advantage_max}`);
    assert.ok(Math.abs(grpo.advantage_min + Math.SQRT1_2) < 1e-5, `grpo advantage_min ${grpo.advantage_min}`);
    assert.equal(grpo.filtered_fraction, 0);
    const rloo = (await run('rloo', { algorithm: 'rloo', samplesPerPrompt: 2, rolloutBatch: 8 }))[0]!;
    assertSignal([rloo], 'rloo');
    assert.ok(
      rloo.advantage_max > 0 && rloo.advantage_min < 0,
      `rloo ${rloo.advantage_min}…${rloo.advantage_max}`,
    );
  });

  it('mismatch: noisy old log-probs put tokens beyond the 1e3 / 1e-3 ratio bounds; without the knob none are', async () => {
    const tails = (m: RlMetrics) =>
      m.ratio_above_1e3_pos_adv +
      m.ratio_above_1e3_neg_adv +
      m['ratio_below_1e-3_pos_adv'] +
      m['ratio_below_1e-3_neg_adv'];
    const plain = (await run('stable-reinforce', {}))[0]!;
    assert.equal(tails(plain), 0);
    assert.ok(Math.abs(plain.ratio_max - 1) < 1e-4, `ratio_max ${plain.ratio_max}`);
    const noisy = (await run('noise', { mismatch: { oldLogProbNoise: 4 } }))[0]!;
    assertSignal([noisy], 'noise');
    assert.ok(tails(noisy) > 0, 'ratio tails under N(0, 4²) noise');
  });

  it('mismatch: a stale sampler whose log-probs are πold moves the ratio off 1 once the policy has moved', async () => {
    const stale = await run('stale', { mismatch: { staleUpdates: 1, oldLogProbs: 'rollout' } }, 2);
    const fresh = await run('rollout-log-probs', { mismatch: { oldLogProbs: 'rollout' } }, 2);
    assertSignal(stale, 'stale');
    assertSignal(fresh, 'fresh');
    // Measured before the step's one optimiser step (one PPO epoch over the whole rollout).
    assert.ok(Math.abs(fresh[1]!.ratio_max - 1) < 1e-4, `fresh sampler: ratio_max ${fresh[1]!.ratio_max}`);
    assert.ok(stale[1]!.ratio_max - 1 > 1e-3, `sampler one update behind: ratio_max ${stale[1]!.ratio_max}`);
  });

  it('Pre-CLIP changes the loss when log-ratios are large, and nothing when they are not', async () => {
    const loss = async (name: string, overrides: Partial<RlLoopConfig>) =>
      (await run(name, overrides))[0]!.loss;
    assert.equal(await loss('no-preclip', { preClip: 'none' }), await loss('stable-reinforce', {}));
    const clipped = await loss('noise', { mismatch: { oldLogProbNoise: 4 } });
    const unclipped = await loss('noise-no-preclip', { preClip: 'none', mismatch: { oldLogProbNoise: 4 } });
    assert.ok(Number.isFinite(clipped) && Number.isFinite(unclipped));
    assert.notEqual(clipped, unclipped, `Pre-CLIP loss ${clipped}, plain ratio loss ${unclipped}`);
  });
});

describe('the judge reward source: the consistency switch', () => {
  const rollout = (text: string) => ({
    text,
    tokenIds: [1],
    logProbs: [0],
    finishReason: 'stop' as const,
    prompt: { id: 'p', promptTokens: [1], images: [], label: 1 as const },
  });
  const judgements = [
    rollout('<think>Response 1 is better.</think><answer>1</answer>'),
    rollout('<think>Response 2 is better.</think><answer>1</answer>'),
  ];
  it('with the rule referee C is +1 / −1 on an analysis that agrees / disagrees; without it C = 0', async () => {
    const withReferee = await judgeReward(createReferee('rule')).score(judgements, { step: 0 });
    assert.deepEqual(withReferee.rewards, [2, 1]); // R·(1 + 0.5·C) + 0.5·F
    assert.equal(withReferee.diagnostics.consistency_rate, 0.5);
    assert.equal(withReferee.diagnostics.inconsistency_rate, 0.5);
    const without = await judgeReward(null).score(judgements, { step: 0 });
    assert.deepEqual(without.rewards, [1.5, 1.5]);
    assert.equal(without.diagnostics.consistency_rate, 0);
    assert.equal(without.diagnostics.inconsistency_rate, 0);
  });
});
