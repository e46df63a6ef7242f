// The RL loop trains a policy that is not a judge: free answers to two questions, no labels, rewarded
// through the RewardSource interface by a deterministic rule (1 when the answer contains the letter
// "e", else 0). From a freshly initialised tiny model the reward rises within ten seeded steps, and a
// source's own state is checkpointed and given back on resume.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { presetConfig } from '../../src/model/config.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import type { RewardSource, RlPrompt } from '../../src/reward/reward-source.js';
import type { RlLoopConfig } from '../../src/train/rl-config.js';
import { runRl } from '../../src/train/rl-loop.js';
import type { RlMetrics } from '../../src/train/rl-metrics.js';
import { TIMING_FIELDS } from '../../src/train/rl-metrics.js';
import { createPolicy, type Policy } from '../../src/train/run.js';
import { engineSkipReason } from '../engine/fixtures.js';

const skip = engineSkipReason();

const QUESTIONS = ['Name a fruit:', 'A fruit, please:'];

/** The questions as the loop's prompts: token ids, no image, no label. */
const questions = async ({ tokenizer }: Policy) => ({
  prompts: QUESTIONS.map(
    (q, i): RlPrompt => ({ id: `q${i}`, promptTokens: tokenizer.encode(q), images: [] }),
  ),
});

/**
 * 1 when the answer contains `letter`; counts the answers it has scored (its checkpoint state), and
 * reports the share of answers that ended by themselves as a diagnostic.
 */
function containsLetter(
  letter: string,
): RewardSource<RlPrompt, { stopped_rate: number }> & { scored: number } {
  return {
    scored: 0,
    async score(rollouts) {
      this.scored += rollouts.length;
      return {
        rewards: rollouts.map((r) => (r.text.includes(letter) ? 1 : 0)),
        diagnostics: {
          stopped_rate: rollouts.filter((r) => r.finishReason !== 'length').length / rollouts.length,
        },
      };
    },
    checkpointState() {
      return { scored: this.scored };
    },
    restoreState(state) {
      this.scored = (state as { scored: number }).scored;
    },
  };
}

describe('the RL loop trains a non-judge policy through a reward source', { skip }, () => {
  let dir: string;
  let config: (name: string, extra?: Partial<RlLoopConfig>) => RlLoopConfig;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'r1-policy-'));
    const tokenizer = Tokenizer.train(
      ['Name a fruit: pear plum lime kiwi figs date', 'rock sand dust coal nail wood'],
      {
        vocabSize: 280,
      },
    );
    const { model } = createPolicy(presetConfig('tiny', tokenizer.vocabSize), tokenizer, 1);
    saveCheckpoint(join(dir, 'init'), model, tokenizer);
    config = (name, extra = {}) => ({
      runDir: join(dir, name),
      init: join(dir, 'init'),
      seed: 1,
      steps: 10,
      rolloutBatch: 16,
      microBatch: 16,
      lr: 2e-2,
      warmupRatio: 0,
      maxNewTokens: 8,
      evalEvery: 0,
      checkpointEvery: 5,
      ...extra,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the reward rises over ten steps, and the source diagnostics are logged with it', async () => {
    const steps: RlMetrics<{ stopped_rate: number }>[] = [];
    const reward = containsLetter('e');
    await runRl(config('rises'), { prompts: questions, reward }, { onStep: (m) => steps.push(m) });
    const mean = (xs: readonly { reward_mean: number }[]) =>
      xs.reduce((s, m) => s + m.reward_mean, 0) / xs.length;
    const first = mean(steps.slice(0, 3));
    const last = mean(steps.slice(-3));
    // Seed 1: 0.17 over the first three steps, 1.0 over the last three.
    assert.ok(last >= first + 0.4, `reward ${steps.map((m) => m.reward_mean.toFixed(2)).join(' ')}`);
    assert.ok(steps.every((m) => typeof m.stopped_rate === 'number'));
    assert.equal(reward.scored, 10 * 16);
  });

  it("resumes exactly, with the reward source's state given back", async () => {
    const crash = new Error('simulated crash');
    const first = containsLetter('e');
    await assert.rejects(
      runRl(
        config('resumed'),
        { prompts: questions, reward: first },
        {
          onStep: (m) => {
            if (m.step === 6) throw crash; // the step-5 checkpoint holds 5 batches scored
          },
        },
      ),
      crash,
    );
    const second = containsLetter('e');
    await runRl(config('resumed', { resume: true }), { prompts: questions, reward: second });
    assert.equal(second.scored, 10 * 16, 'restored at 5 × 16, then 5 more batches');
    const read = (run: string) =>
      readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const row = JSON.parse(line) as Record<string, unknown>;
          for (const key of TIMING_FIELDS) delete row[key];
          return row;
        });
    assert.deepEqual(read('resumed'), read('rises'));
  });

  it('refuses a reward source that does not score every rollout', async () => {
    const short: RewardSource = {
      async score(rollouts) {
        return { rewards: rollouts.slice(1).map(() => 1), diagnostics: {} };
      },
    };
    await assert.rejects(
      runRl(config('short', { steps: 1 }), { prompts: questions, reward: short }),
      /returned 15 rewards for 16 rollouts; it must score every rollout, in order/,
    );
  });
});
