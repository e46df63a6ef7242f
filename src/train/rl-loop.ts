// The RL loop (docs/spec.md §4), read top to bottom like CleanRL's ppo.py. It trains any policy on any
// prompt set against any reward source; the judge's RL (trainRl, rl.ts) is one task for it.
//
//   for each step:
//     1. rollout      n samples per prompt from the sampler, temperature 1.0        rl-sampler.ts
//     2. reward       the reward source scores them; a zero-spread batch is "frozen" (optionally resampled)
//     3. log-probs    old policy (the sampler says where πold comes from), reference when β > 0
//     4. advantages   token rewards → returns → z-score + Advantage Filter, or GRPO / RLOO   rl-experience.ts
//     5. update       Pre-CLIP PPO, micro-batches with gradient accumulation, clip 1.0, AdamW   rl-update.ts
//     6. log, evaluate, checkpoint                                                   rl-metrics.ts
//
// Every knob of the ablation (algorithm, Pre-CLIP bounds, filter window, PPO epochs, the rollout/trainer
// mismatch) is a field of RlLoopConfig; the tensor math is stable-reinforce-tensors.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, type RngState } from '../algo/random.js';
import { writeJsonAtomic } from '../io/atomic-write.js';
import type { VisionLanguageModel } from '../model/model.js';
import type {
  RewardDiagnostics,
  RewardSource,
  RlPrompt,
  Rollout,
  ScoredRollouts,
} from '../reward/reward-source.js';
import { type OpenedTrainingCheckpoint, saveTrainingCheckpoint } from './checkpoint.js';
import { parseConfig } from './config-fields.js';
import {
  planOf,
  type RlLoopConfig,
  RlLoopConfigSchema,
  type RlLoopResolved,
  type RlPlan,
} from './rl-config.js';
import { collectExperience, disposeExperience } from './rl-experience.js';
import { type RlCounters, type RlMetrics, stepMetrics } from './rl-metrics.js';
import { RolloutSampler } from './rl-sampler.js';
import { ppoUpdate } from './rl-update.js';
import { loadPolicy, makeOptimizer, openRunFolder, type Policy, type RunFolder } from './run.js';
import { learningRate } from './schedule.js';
import { batchIndices, type TrainHooks } from './sft.js';

/** The prompts of a run; with `pairs`, prompts 2i and 2i + 1 belong together and are drawn together. */
export interface PromptSet<P extends RlPrompt> {
  prompts: P[];
  pairs?: boolean;
}

/** A held-out evaluation of the policy: run at `evalEvery` steps, the last step, and once before step 0. */
export interface Evaluation<E, H extends Record<string, number> = Record<string, number>> {
  run(): E | Promise<E>;
  /** What of a result goes into that step's log line. */
  metrics(result: E): H;
}

/**
 * What the loop trains on: prompts encoded for the run's policy (loaded from `init`, or resumed), a
 * reward source for their responses, and optionally a held-out evaluation.
 */
export interface RlTask<
  P extends RlPrompt,
  D extends RewardDiagnostics = RewardDiagnostics,
  E = unknown,
  H extends Record<string, number> = Record<string, number>,
> {
  prompts(policy: Policy): Promise<PromptSet<P>>;
  reward: RewardSource<P, D>;
  evaluation?(policy: Policy): Promise<Evaluation<E, H> | null>;
  /** run.json's command (default 'train rl'). */
  command?: string;
}

/** What an RL run did: the final checkpoint, steps, prompts, the evaluation before and after, and speed. */
export interface RlRunResult<E = unknown> {
  runDir: string;
  checkpoint: string;
  steps: number;
  /** Prompts drawn from. */
  prompts: number;
  initialHeldOut: E | null;
  heldOut: E | null;
  stepsPerSecond: number;
}

/** The policy being trained and everything that trains it, restored from a checkpoint when resuming. */
interface Trainer {
  policy: Policy;
  optimizer: ReturnType<typeof makeOptimizer>;
  reference: VisionLanguageModel | null;
  sampler: RolloutSampler;
  updateRng: Rng;
  counters: RlCounters;
  start: number;
}

/**
 * Trains `config.init` with RL on `task`'s prompts and reward (StableReinforce by default, or another
 * algorithm of ALGORITHMS); logs metrics.jsonl, checkpoints, and resumes exactly.
 */
export async function runRl<
  P extends RlPrompt,
  D extends RewardDiagnostics,
  E = unknown,
  H extends Record<string, number> = Record<string, number>,
>(
  input: RlLoopConfig,
  task: RlTask<P, D, E, H>,
  hooks: TrainHooks<RlMetrics<D, H>> = {},
): Promise<RlRunResult<E>> {
  // Loose: a task's own fields (the judge's data, referee, bothOrders, …) go with the run's record.
  const config = parseConfig(RlLoopConfigSchema.loose(), input, 'RL config') as RlLoopResolved & {
    bothOrders?: boolean;
  };
  const plan = planOf(config);
  const run = openRunFolder(
    config.runDir,
    task.command ?? 'train rl',
    config,
    config.resume,
    hooks.onWarning,
  );
  const trainer = openTrainer(config, plan, run.resumeFrom, task.reward);
  const { policy, optimizer, reference, sampler, counters } = trainer;
  const { prompts, pairs = false } = await task.prompts(policy);
  if (prompts.length === 0) throw new Error(`RL run ${config.runDir}: the task gave no prompts to train on`);
  const evaluation = (await task.evaluation?.(policy)) ?? null;
  const evaluate = async () => (evaluation ? await evaluation.run() : null);
  const initialHeldOut = await initialEvaluation(config.runDir, run.resumeFrom !== null, evaluate);
  const draw = promptDrawer(prompts, pairs, config.rolloutBatch, config.seed);
  const checkpoint = (step: number) => saveRlCheckpoint(run, trainer, task.reward, config, step);

  let lastHeldOut: E | null = null;
  let lastCheckpoint = '';
  const runStart = performance.now();
  for (let step = trainer.start; step < config.steps; step++) {
    const lr = learningRate(
      {
        lr: config.lr,
        totalSteps: config.steps,
        warmupRatio: config.warmupRatio,
        minLrRatio: config.minLrRatio,
      },
      step,
    );

    // 1–2. Rollout and reward (a zero-spread batch is frozen: no learning signal; optionally resample it)
    const sample = await sampleAndScore(step);

    // 3–4. Old-policy / reference log-probs and advantages
    let t = performance.now();
    const { experience, stats } = collectExperience(
      { model: policy.model, sampler, reference },
      sample.rollouts,
      sample.scored.rewards,
      { ...config, plan },
    );
    const logprobSeconds = (performance.now() - t) / 1000;

    // 5. Update: PPO epochs × mini-batches × micro-batches
    t = performance.now();
    const update = ppoUpdate(policy.model, optimizer, experience, {
      epochs: config.ppoEpochs,
      trainBatch: plan.trainBatch,
      microBatch: config.microBatch,
      clipEps: config.clipEps,
      preClip: plan.preClip,
      lr,
      gradClip: config.gradClip,
      rng: trainer.updateRng,
    });
    counters.non_finite_losses += update.nonFiniteLosses;
    counters.skipped_updates += update.skippedUpdates;
    disposeExperience(experience);
    sampler.afterUpdate();
    const updateSeconds = (performance.now() - t) / 1000;

    // 6. Log, evaluate, checkpoint
    // The held-out metrics join on the steps that evaluate.
    const metrics = stepMetrics({
      step,
      lr,
      ...sample,
      counters,
      imageTokenCuts: sampler.imageTokenCuts,
      experience: stats,
      update,
      optimizerSteps: optimizer.stepCount,
      seconds: { ...sample.seconds, logprob: logprobSeconds, update: updateSeconds },
    }) as RlMetrics<D, H>;
    const last = step === config.steps - 1;
    if ((config.evalEvery > 0 && (step + 1) % config.evalEvery === 0) || last) {
      lastHeldOut = await evaluate();
      if (lastHeldOut !== null) Object.assign(metrics, evaluation!.metrics(lastHeldOut));
    }
    run.logStep(metrics);
    hooks.onStep?.(metrics, config.steps);
    if ((config.checkpointEvery > 0 && (step + 1) % config.checkpointEvery === 0) || last)
      lastCheckpoint = checkpoint(step + 1);
  }
  run.log.close();
  if (!lastCheckpoint) lastCheckpoint = checkpoint(config.steps);
  const seconds = (performance.now() - runStart) / 1000;
  return {
    runDir: config.runDir,
    checkpoint: lastCheckpoint,
    steps: config.steps,
    prompts: prompts.length,
    initialHeldOut,
    heldOut: lastHeldOut,
    stepsPerSecond: (config.steps - trainer.start) / Math.max(1e-9, seconds),
  };

  /** Steps 1–2: a rollout and its rewards, resampled (stream 1 of the draws) while frozen. */
  async function sampleAndScore(step: number) {
    let t = performance.now();
    let rollouts = sampler.rollout(draw(step, 0));
    const seconds = { rollout: (performance.now() - t) / 1000, reward: 0 };
    t = performance.now();
    let scored = await scoreChecked(task.reward, rollouts, step);
    const frozen = zeroSpread(scored.rewards);
    let resampled = 0;
    while (zeroSpread(scored.rewards) && resampled < config.resampleFrozen) {
      resampled++;
      counters.resampled++;
      const t2 = performance.now();
      rollouts = sampler.rollout(draw(counters.resampled, 1));
      seconds.rollout += (performance.now() - t2) / 1000;
      scored = await scoreChecked(task.reward, rollouts, step);
    }
    if (frozen) counters.zero_spread_batches++;
    seconds.reward = (performance.now() - t) / 1000;
    return { rollouts, scored, frozen, resampled, seconds };
  }
}

/** The policy (resumed, or `init`), its optimiser, the reference (β > 0), the sampler, RNG and counters. */
function openTrainer<C extends RlLoopResolved>(
  config: C,
  plan: RlPlan,
  resume: OpenedTrainingCheckpoint<C> | null,
  reward: RewardSource<never, RewardDiagnostics>,
): Trainer {
  const policy = resume ? resume.loaded : loadPolicy(config.init, config.device);
  const optimizer = makeOptimizer(policy.model.parameters(), config.weightDecay);
  const reference = config.klCoef > 0 ? loadPolicy(config.init, config.device).model : null;
  const rng = resume?.extras.rng ?? {};
  const counters: RlCounters = {
    zero_spread_batches: 0,
    non_finite_losses: 0,
    skipped_updates: 0,
    resampled: 0,
  };
  if (resume) {
    resume.restoreOptimizer(optimizer);
    for (const key of Object.keys(counters) as (keyof RlCounters)[])
      counters[key] = resume.extras.counters[key] ?? 0;
    if (resume.extras.reward !== undefined) reward.restoreState?.(resume.extras.reward);
  }
  const sampler = new RolloutSampler(
    policy,
    {
      temperature: config.temperature,
      maxNewTokens: config.maxNewTokens,
      samplesPerPrompt: plan.samplesPerPrompt,
      mismatch: config.mismatch,
      seed: config.seed,
    },
    {
      rng: { sample: rng['sample'] as RngState, noise: rng['noise'] as RngState },
      stalePolicy: resume?.stalePolicy() ?? null,
      imageTokenCuts: resume?.extras.counters['image_token_cuts'] ?? 0,
    },
  );
  const updateRng = new Rng((rng['update'] as RngState | undefined) ?? config.seed + 2);
  return { policy, optimizer, reference, sampler, updateRng, counters, start: resume?.step ?? 0 };
}

/** The evaluation before step 0, saved once (initial-held-out.json) so that a resumed run reports it too. */
async function initialEvaluation<E>(
  runDir: string,
  resumed: boolean,
  evaluate: () => Promise<E | null>,
): Promise<E | null> {
  const path = join(runDir, 'initial-held-out.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as E | null;
  if (resumed) return null;
  const result = await evaluate();
  writeJsonAtomic(path, result);
  return result;
}

/**
 * The prompts of draw `draw` of stream `stream`: seeded epochs over the prompt set. With pairs a batch
 * holds whole pairs (for the judge: an item in both orders, so a position preference is right in one
 * and wrong in the other and its advantage cancels within the batch).
 */
function promptDrawer<P extends RlPrompt>(
  prompts: readonly P[],
  pairs: boolean,
  rolloutBatch: number,
  seed: number,
): (draw: number, stream: number) => P[] {
  return (draw, stream) =>
    pairs
      ? batchIndices(prompts.length / 2, rolloutBatch / 2, draw, seed + stream).flatMap((i) => [
          prompts[2 * i]!,
          prompts[2 * i + 1]!,
        ])
      : batchIndices(prompts.length, rolloutBatch, draw, seed + stream).map((i) => prompts[i]!);
}

const zeroSpread = (rewards: readonly number[]) => new Set(rewards).size === 1;

/** The source's scores, refused with a message when they cannot train (wrong count, not finite). */
async function scoreChecked<P extends RlPrompt, D extends RewardDiagnostics>(
  reward: RewardSource<P, D>,
  rollouts: Rollout<P>[],
  step: number,
): Promise<ScoredRollouts<D>> {
  const scored = await reward.score(rollouts, { step });
  if (scored.rewards.length !== rollouts.length)
    throw new RangeError(
      `RL step ${step}: the reward source returned ${scored.rewards.length} rewards for ${rollouts.length} rollouts; it must score every rollout, in order`,
    );
  const bad = scored.rewards.findIndex((r) => !Number.isFinite(r));
  if (bad >= 0)
    throw new RangeError(
      `RL step ${step}: the reward source gave rollout ${bad} (prompt ${rollouts[bad]!.prompt.id}) the reward ${scored.rewards[bad]}; rewards must be finite numbers`,
    );
  return scored;
}

/** checkpoints/step-N with the optimiser, every RNG stream, the counters, the sampler's and the reward's state. */
function saveRlCheckpoint<C extends RlLoopResolved>(
  run: RunFolder<C>,
  trainer: Trainer,
  reward: RewardSource<never, RewardDiagnostics>,
  config: C,
  step: number,
): string {
  const { policy, optimizer, sampler, updateRng, counters } = trainer;
  const samplerState = sampler.checkpointState();
  const rewardState = reward.checkpointState?.();
  return saveTrainingCheckpoint(
    run.checkpoints,
    {
      model: policy.model,
      tokenizer: policy.tokenizer,
      optimizer,
      step,
      extras: {
        kind: 'rl',
        config,
        rng: { ...samplerState.rng, update: updateRng.state },
        counters: { ...counters, image_token_cuts: samplerState.imageTokenCuts },
        ...(rewardState !== undefined ? { reward: rewardState } : {}),
      },
      ...(samplerState.stalePolicy ? { stalePolicy: samplerState.stalePolicy } : {}),
    },
    config.keepCheckpoints,
  );
}
