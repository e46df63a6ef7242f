// What the RL loop (src/train/rl-loop.ts) asks of a reward: scores for a batch of sampled responses.
// The loop knows nothing about judging: the R1 reward of a judgement against its label
// (src/train/judge-reward.ts) is one source, a truth checker or a judge ranking a group of a
// policy's answers is another. A source sees each response with the prompt it answers, so its
// prompt type carries whatever the reward needs (a label, a reference answer, the question).
import type { Generation } from '../model/generate.js';

/** A prompt the RL loop can sample from: its token ids and the pixels of its images (CHW float32). */
export interface RlPrompt {
  id: string;
  promptTokens: number[];
  /** One CHW float array per image placeholder group of `promptTokens` (empty for text only). */
  images: Float32Array[];
}

/** One sampled response (text, token ids, the sampler's log-probs) and the prompt it answers. */
export interface Rollout<P extends RlPrompt = RlPrompt> extends Generation {
  prompt: P;
}

/** Per-batch diagnostics, logged under their own names next to the loop's metrics. */
export type RewardDiagnostics = Record<string, number>;

/** What a reward source returns: one reward per rollout, in order, and the batch's diagnostics. */
export interface ScoredRollouts<D extends RewardDiagnostics = RewardDiagnostics> {
  rewards: number[];
  diagnostics: D;
}

/** When and why a batch is scored. */
export interface RewardContext {
  /** The RL step (0-based) the rollouts belong to. */
  step: number;
  signal?: AbortSignal;
}

/**
 * A reward for the RL loop. `score` must be deterministic given the rollouts and the source's
 * state, so a resumed run gets the rewards an uninterrupted one got; a source with state that
 * changes as it scores (a cache, a running baseline) saves it with `checkpointState` and gets it
 * back through `restoreState` before the first step of a resumed run.
 */
export interface RewardSource<
  P extends RlPrompt = RlPrompt,
  D extends RewardDiagnostics = RewardDiagnostics,
> {
  score(rollouts: readonly Rollout<P>[], context: RewardContext): Promise<ScoredRollouts<D>>;
  /** JSON-serialisable state saved in every checkpoint (trainer.json). */
  checkpointState?(): unknown;
  restoreState?(state: unknown): void;
}
