// The RL run's configuration: one typed, validated object (zod) for the loop, extended for the judge,
// with each algorithm's defaults (docs/spec.md §4, "Baselines") resolved into explicit switches.
import { z } from 'zod';
import { PRE_CLIP, type PreClip } from '../algo/index.js';
import { DataSourceSchema, HeldOutSchema, OPTIMISER_FIELDS, RUNTIME_FIELDS } from './config-fields.js';

/** The RL algorithms: StableReinforce (the paper's), Reinforce++, PPO-clip, GRPO, RLOO. */
export const ALGORITHMS = ['stable-reinforce', 'reinforce++', 'ppo-clip', 'grpo', 'rloo'] as const;
/** An algorithm of {@link ALGORITHMS}. */
export type Algorithm = (typeof ALGORITHMS)[number];

/**
 * The zod schema of the RL loop's config ({@link runRl}): every knob of the loop, whatever the prompts and
 * the reward; fills the defaults and checks every field, with messages that name it.
 */
export const RlLoopConfigSchema = z.object({
  runDir: z.string().min(1),
  /** The starting policy: an SFT checkpoint or run folder. Also the reference model when β > 0. */
  init: z.string().min(1),
  seed: z.number().int().default(0),
  algorithm: z.enum(ALGORITHMS).default('stable-reinforce'),
  /** Pre-CLIP bounds: default 'both' for stable-reinforce, 'none' for every other algorithm. */
  preClip: z.enum(['both', 'upper', 'lower', 'none']).optional(),
  /** Advantage Filter: default 'paper' for stable-reinforce and ppo-clip, 'none' otherwise. */
  filter: z.enum(['paper', 'released', 'none']).optional(),
  steps: z.number().int().positive().default(100),
  /** Prompts per rollout. */
  rolloutBatch: z.number().int().positive().default(32),
  /** Samples per prompt: default 1, or 4 for grpo / rloo. */
  samplesPerPrompt: z.number().int().positive().optional(),
  /** Sequences per optimiser step; default: the whole rollout (one step per PPO epoch). */
  trainBatch: z.number().int().positive().optional(),
  microBatch: z.number().int().positive().default(8),
  ppoEpochs: z.number().int().positive().default(1),
  lr: z.number().positive().default(1e-4),
  ...OPTIMISER_FIELDS,
  clipEps: z.number().min(0).lt(1).default(0.2),
  klCoef: z.number().min(0).default(0),
  klEstimator: z.enum(['k1', 'k3']).default('k1'),
  gamma: z.number().min(0).max(1).default(1),
  rewardClip: z.number().positive().default(10),
  temperature: z.number().min(0).default(1),
  maxNewTokens: z.number().int().positive().default(64),
  /** The rollout/trainer mismatch knob, the rollout sampler's (off by default; see docs/training.md). */
  mismatch: z
    .object({
      /** Sample from the policy as it was this many updates (RL steps, each one rollout's PPO update) ago. */
      staleUpdates: z.number().int().min(0).default(0),
      /** Add seeded N(0, scale²) noise to the old log-probs. */
      oldLogProbNoise: z.number().min(0).default(0),
      /** Old log-probs from the trainer's forward pass (default) or from the sampler, as an inference engine reports them. */
      oldLogProbs: z.enum(['trainer', 'rollout']).default('trainer'),
      /**
       * Sample with the policy's weights rounded to this precision (compute stays float32): the weight
       * part of a bf16 inference engine serving an fp32 trainer's policy.
       */
      samplerPrecision: z.enum(['float32', 'bfloat16', 'float16']).default('float32'),
    })
    .default({ staleUpdates: 0, oldLogProbNoise: 0, oldLogProbs: 'trainer', samplerPrecision: 'float32' }),
  /** A batch whose rewards all agree (zero spread) is "frozen"; resample it up to this many times. */
  resampleFrozen: z.number().int().min(0).default(0),
  evalEvery: z.number().int().min(0).default(20),
  checkpointEvery: z.number().int().min(0).default(20),
  keepCheckpoints: z.number().int().positive().default(2),
  resume: z.boolean().default(false),
  ...RUNTIME_FIELDS,
});

/** The RL loop's config as you write it (defaults optional); see {@link RlLoopConfigSchema}. */
export type RlLoopConfig = z.input<typeof RlLoopConfigSchema>;
/** The RL loop's config with every default filled in. */
export type RlLoopResolved = z.output<typeof RlLoopConfigSchema>;

/**
 * The zod schema of the judge's RL config ({@link trainRl}): the loop's knobs plus the judging data, the
 * consistency referee and the hard-sample selection.
 */
export const RlConfigSchema = RlLoopConfigSchema.extend({
  /** The RL split: R1-Reward JSONL (the synthetic world's rl.jsonl — the hard samples). */
  data: DataSourceSchema,
  heldOut: HeldOutSchema.optional(),
  /** false: C = 0 for every judgement (the "w/o consistency" arm). */
  consistency: z.boolean().default(true),
  /** 'rule' or an OpenAI-compatible base URL. */
  referee: z.string().default('rule'),
  /**
   * Show every RL item in both response orders (responses swapped, label flipped), a pair per batch:
   * gold positions stay 1:1 (docs/spec.md §5) even after selectHard, and a position preference earns nothing.
   * rolloutBatch must be even.
   */
  bothOrders: z.boolean().default(false),
  /**
   * RL data = the hard samples (docs/spec.md §5): before step 0, judge every RL prompt this many times with the
   * starting policy (at the rollout temperature) and keep only those it does not always get right.
   * 0 keeps every prompt. Saved to the run folder (hard-prompts.json) and reused on resume.
   */
  selectHard: z.number().int().min(0).default(0),
  evalSize: z.number().int().positive().default(100),
  evalMaxNewTokens: z.number().int().positive().optional(),
});

/**
 * The RL trainer's config as you write it (defaults optional); see {@link RlConfigSchema} for every field.
 */
export type RlConfig = z.input<typeof RlConfigSchema>;
export type RlResolved = z.output<typeof RlConfigSchema>;

/** The switches the loop reads, after each algorithm's defaults are applied. */
export interface RlPlan {
  advantage: 'returns' | 'grpo' | 'rloo';
  preClip: PreClip;
  filter: 'paper' | 'released' | 'none';
  samplesPerPrompt: number;
  trainBatch: number;
}

/**
 * The switches of a run: the algorithm's defaults made explicit, and the batch sizes checked
 * (`bothOrders` draws prompts in pairs, so it needs an even rollout batch).
 */
export function planOf(config: RlLoopResolved & { bothOrders?: boolean }): RlPlan {
  const a = config.algorithm;
  const preClipName = config.preClip ?? (a === 'stable-reinforce' ? 'both' : 'none');
  const preClip: PreClip =
    preClipName === 'none'
      ? false
      : {
          min: preClipName === 'upper' ? Number.NEGATIVE_INFINITY : PRE_CLIP.min,
          max: preClipName === 'lower' ? Number.POSITIVE_INFINITY : PRE_CLIP.max,
        };
  const samplesPerPrompt = config.samplesPerPrompt ?? (a === 'grpo' || a === 'rloo' ? 4 : 1);
  if ((a === 'grpo' || a === 'rloo') && samplesPerPrompt < 2)
    throw new RangeError(`${a} needs samplesPerPrompt ≥ 2 (a group per prompt), got ${samplesPerPrompt}`);
  if ((a === 'grpo' || a === 'rloo') && config.klCoef > 0)
    throw new RangeError(
      `klCoef > 0 is supported for the token-reward algorithms (stable-reinforce, reinforce++, ppo-clip), not ${a}`,
    );
  if (config.bothOrders && config.rolloutBatch % 2 !== 0)
    throw new RangeError(
      `bothOrders draws whole pairs: rolloutBatch must be even, got ${config.rolloutBatch}`,
    );
  const rolloutSize = config.rolloutBatch * samplesPerPrompt;
  const trainBatch = config.trainBatch ?? rolloutSize;
  if (rolloutSize % trainBatch !== 0)
    throw new RangeError(
      `trainBatch ${trainBatch} must divide the rollout size ${rolloutSize} (rolloutBatch × samplesPerPrompt)`,
    );
  return {
    advantage: a === 'grpo' ? 'grpo' : a === 'rloo' ? 'rloo' : 'returns',
    preClip,
    filter: config.filter ?? (a === 'stable-reinforce' || a === 'ppo-clip' ? 'paper' : 'none'),
    samplesPerPrompt,
    trainBatch,
  };
}
