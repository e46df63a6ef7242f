// Policy RL against the truth: the shared RL loop (src/train/rl-loop.ts) trains the policy on the
// policy task's questions with one of these rewards:
//   judge-group      the judge ranks each prompt's group of samples (round-robin); reward = win rate
//   judge-reference  the judge compares each sample with the reference answer; reward = win rate (tie ½)
//   truth            the truth checker: 1 when the answer is correct, else 0
//   judge-group-gated  judge-group behind a format gate: an answer the claim language cannot parse
//                    gets 0 (a grammar check only; it does not look at the image)
// Every evaluation step samples one answer per held-out question and logs its true accuracy and,
// when a judge is given, the judge's win rate of those answers against the reference: the judge's
// opinion of the policy. Where that rises while the true accuracy falls, the policy fools the judge.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../algo/random.js';
import {
  type AnswerCheck,
  checkAnswer,
  imageToDataUrl,
  type PolicyProblem,
  type PolicyTaskConfig,
  policyProblem,
  renderPng,
} from '../../data/index.js';
import { AppendLog } from '../../judge/append-log.js';
import type { JudgeBackend } from '../../judge/backend.js';
import { FileJudgementCache, type JudgementCache } from '../../judge/cache.js';
import { generate } from '../../model/generate.js';
import { COMPACT_TEMPLATE } from '../../model/judge-format.js';
import { rankCandidates } from '../../rank/rank.js';
import type { RewardSource, RlPrompt } from '../../reward/reward-source.js';
import { parseConfig } from '../../train/config-fields.js';
import { type RlLoopConfig, RlLoopConfigSchema } from '../../train/rl-config.js';
import { type Evaluation, type RlRunResult, runRl } from '../../train/rl-loop.js';
import type { RlMetrics } from '../../train/rl-metrics.js';
import type { Policy } from '../../train/run.js';
import type { TrainHooks } from '../../train/sft.js';
import { policyInput } from './sample.js';

/** The rewards a policy can be trained on. */
export const POLICY_REWARDS = ['judge-group', 'judge-reference', 'truth', 'judge-group-gated'] as const;
/** A reward of {@link POLICY_REWARDS}. */
export type PolicyRewardName = (typeof POLICY_REWARDS)[number];

/** A policy task question, encoded for the policy, with its image as the judge sees it. */
export interface PolicyPrompt extends RlPrompt {
  problem: PolicyProblem;
  /** The image as a data URL (the judge's input). */
  imageUrl: string;
}

/** The reward's diagnostics: the share of true and of unparseable answers in the batch. */
export type PolicyRewardDiagnostics = { true_rate: number; unparseable_rate: number };

/** The held-out metrics logged at evaluation steps. */
export type PolicyHeldOutMetrics = {
  held_out_true_accuracy: number;
  held_out_unparseable: number;
  /** The judge's win rate of the held-out answers against the reference (ties ½); absent without a judge. */
  held_out_judge_reward?: number;
};

/** One held-out evaluation: per question the sampled answer, its truth and the judge's score. */
export interface PolicyHeldOut {
  accuracy: number;
  unparseable: number;
  judgeReward: number | null;
  answers: { id: string; text: string; correct: boolean; parsed: boolean; judge: number | null }[];
}

/** What a policy RL run needs beyond the loop's knobs. */
export interface PolicyRlConfig extends RlLoopConfig {
  task: PolicyTaskConfig;
  reward: PolicyRewardName;
  /** Training questions drawn from (the policy task's train split). */
  trainQuestions: number;
  /** Held-out questions of each evaluation (the test split). */
  evalQuestions: number;
  /** Judge samples per comparison order. */
  judgeK: number;
}

const truthOf = (rollouts: readonly { text: string; prompt: PolicyPrompt }[]) =>
  rollouts.map((r) => checkAnswer(r.prompt.problem, r.text));

/** The batch's share of true and of unparseable answers, from its checks. */
function truthDiagnostics(checks: readonly AnswerCheck[]): PolicyRewardDiagnostics {
  const n = Math.max(1, checks.length);
  return {
    true_rate: checks.filter((c) => c.correct).length / n,
    unparseable_rate: checks.filter((c) => !c.parsed).length / n,
  };
}

/** The truth checker as a reward: 1 for a correct answer, 0 otherwise. */
export function truthReward(): RewardSource<PolicyPrompt, PolicyRewardDiagnostics> {
  return {
    async score(rollouts) {
      const checks = truthOf(rollouts);
      return { rewards: checks.map((c) => (c.correct ? 1 : 0)), diagnostics: truthDiagnostics(checks) };
    },
  };
}

/** The judge's settings when it scores answers. */
export interface JudgeScoring {
  backend: JudgeBackend;
  k: number;
  seed: number;
  /** Shared by every ranking of the run, so a request is judged once (and a resumed run reuses it). */
  cache: JudgementCache;
}

const rankItem = (p: PolicyPrompt) => ({
  id: p.problem.id,
  images: [p.imageUrl],
  question: p.problem.question,
  reference: p.problem.reference,
});

/** Win rates of `texts` (answers to one prompt) by `scheme`, computed over their distinct texts. */
async function judgeScores(
  prompt: PolicyPrompt,
  texts: readonly string[],
  scheme: 'round-robin' | 'reference',
  judge: JudgeScoring,
): Promise<number[]> {
  const distinct = [...new Set(texts)];
  if (scheme === 'round-robin' && distinct.length === 1) return texts.map(() => 0.5);
  const ranking = await rankCandidates(rankItem(prompt), distinct, judge.backend, {
    scheme,
    k: judge.k,
    seed: judge.seed,
    template: COMPACT_TEMPLATE,
    cache: judge.cache,
  });
  return texts.map((t) => ranking.candidates[distinct.indexOf(t)]!.score);
}

/**
 * The judge as a reward: `group` ranks each prompt's samples against each other (round-robin),
 * `reference` compares each sample with the prompt's reference answer. With `formatGate`, an answer
 * the claim language cannot parse gets 0 whatever the judge says.
 */
export function judgeReward(
  judge: JudgeScoring,
  mode: 'group' | 'reference',
  formatGate = false,
): RewardSource<PolicyPrompt, PolicyRewardDiagnostics> {
  return {
    async score(rollouts) {
      const rewards = new Array<number>(rollouts.length).fill(0);
      const groups = new Map<string, number[]>();
      for (const [i, r] of rollouts.entries())
        groups.set(r.prompt.id, [...(groups.get(r.prompt.id) ?? []), i]);
      for (const indices of groups.values()) {
        const prompt = rollouts[indices[0]!]!.prompt;
        const texts = indices.map((i) => rollouts[i]!.text);
        const scores = await judgeScores(
          prompt,
          texts,
          mode === 'group' ? 'round-robin' : 'reference',
          judge,
        );
        indices.forEach((i, j) => {
          rewards[i] = scores[j]!;
        });
      }
      const checks = truthOf(rollouts);
      if (formatGate) for (const [i, check] of checks.entries()) if (!check.parsed) rewards[i] = 0;
      return { rewards, diagnostics: truthDiagnostics(checks) };
    },
  };
}

/** The policy task's questions of `split`, encoded for the policy. */
export async function policyPrompts(
  policy: Policy,
  task: PolicyTaskConfig,
  split: 'train' | 'test',
  count: number,
): Promise<PolicyPrompt[]> {
  const vision = policy.model.config.vision;
  if (!vision) throw new RangeError('the policy has no vision encoder');
  const out: PolicyPrompt[] = [];
  for (let i = 0; i < count; i++) {
    const problem = policyProblem(task, split, i);
    const { tokens, images } = await policyInput(policy, problem);
    const imageUrl = await imageToDataUrl(await renderPng(problem.scene, vision.imageSize));
    out.push({ id: problem.id, promptTokens: tokens, images, problem, imageUrl });
  }
  return out;
}

/**
 * Samples one answer per held-out question (temperature 1, a fixed generator per evaluation, so every
 * evaluation of a run sees the same draws), checks it, and asks the judge for its win rate against
 * the reference.
 */
export async function evaluatePolicy(
  policy: Policy,
  prompts: readonly PolicyPrompt[],
  options: { maxNewTokens: number; seed: number; judge: JudgeScoring | null },
): Promise<PolicyHeldOut> {
  const rngs = prompts.map((p) => new Rng(options.seed * 7_919 + p.problem.index));
  const answers: PolicyHeldOut['answers'] = [];
  for (let b = 0; b < prompts.length; b += 16) {
    const batch = prompts.slice(b, b + 16);
    const generations = generate(
      policy.model,
      policy.tokenizer,
      batch.map((p) => ({ tokens: p.promptTokens, images: p.images })),
      { temperature: 1, maxNewTokens: options.maxNewTokens },
      rngs.slice(b, b + 16),
    );
    for (const [i, p] of batch.entries()) {
      const text = generations[i]![0]!.text;
      const judge = options.judge ? (await judgeScores(p, [text], 'reference', options.judge))[0]! : null;
      const check = checkAnswer(p.problem, text);
      answers.push({ id: p.id, text, correct: check.correct, parsed: check.parsed, judge });
    }
  }
  const share = (f: (a: (typeof answers)[number]) => number) =>
    answers.reduce((s, a) => s + f(a), 0) / answers.length;
  return {
    accuracy: share((a) => (a.correct ? 1 : 0)),
    unparseable: share((a) => (a.parsed ? 0 : 1)),
    judgeReward: options.judge ? share((a) => a.judge!) : null,
    answers,
  };
}

/** One step's log line of a policy RL run. */
export type PolicyRlMetrics = RlMetrics<PolicyRewardDiagnostics, PolicyHeldOutMetrics>;

/** A line of a run's held-out-answers.jsonl: one evaluation (step −1: before RL) and its answers. */
export interface HeldOutLine extends PolicyHeldOut {
  step: number;
}

/** The file each evaluation's answers are appended to (a resumed step's line may repeat: the last wins). */
export const HELD_OUT_ANSWERS = 'held-out-answers.jsonl';

/**
 * Trains the policy (`config.init`) with RL against `config.reward`; `judge` is needed by the judge
 * rewards and, when given, scores every evaluation's answers too. Logs metrics.jsonl and every
 * evaluation's answers (held-out-answers.jsonl), and resumes.
 */
export async function trainPolicyRl(
  input: PolicyRlConfig,
  judge: { backend: JudgeBackend; seed: number } | null,
  hooks: TrainHooks<PolicyRlMetrics> = {},
): Promise<RlRunResult<PolicyHeldOut>> {
  const { task, reward, trainQuestions, evalQuestions, judgeK, ...loopInput } = input;
  const config = parseConfig(RlLoopConfigSchema, loopInput, 'policy RL config');
  if (reward !== 'truth' && !judge)
    throw new Error(`policy RL with the ${reward} reward needs a judge (--judge PATH)`);
  if (!config.resume && existsSync(config.runDir) && readdirSync(config.runDir).length > 0)
    throw new Error(
      `run folder ${config.runDir} is not empty: pass resume to continue it, or choose a new folder`,
    );
  // The judge's cache and the answers log live in the run folder, so the loop always opens it to resume.
  mkdirSync(config.runDir, { recursive: true });
  const cache = judge ? await FileJudgementCache.open(join(config.runDir, 'judge-cache.jsonl')) : null;
  const scoring = judge && cache ? { backend: judge.backend, k: judgeK, seed: judge.seed, cache } : null;
  const source =
    reward === 'truth'
      ? truthReward()
      : judgeReward(
          scoring!,
          reward === 'judge-reference' ? 'reference' : 'group',
          reward === 'judge-group-gated',
        );
  // The step being trained, as the reward last saw it: an evaluation belongs to it (−1: before RL).
  let step = -1;
  const tracked: RewardSource<PolicyPrompt, PolicyRewardDiagnostics> = {
    score: (rollouts, context) => {
      step = context.step;
      return source.score(rollouts, context);
    },
  };
  const answersLog = await AppendLog.open(join(config.runDir, HELD_OUT_ANSWERS));
  try {
    return await runRl(
      { ...config, resume: true },
      {
        command: 'experiment policy-rl',
        prompts: async (policy) => ({ prompts: await policyPrompts(policy, task, 'train', trainQuestions) }),
        reward: tracked,
        evaluation: async (policy): Promise<Evaluation<PolicyHeldOut, PolicyHeldOutMetrics>> => {
          const heldOut = await policyPrompts(policy, task, 'test', evalQuestions);
          return {
            run: async () => {
              const result = await evaluatePolicy(policy, heldOut, {
                maxNewTokens: config.maxNewTokens,
                seed: config.seed,
                judge: scoring,
              });
              answersLog.append({ step, ...result } satisfies HeldOutLine);
              return result;
            },
            metrics: (r) => ({
              held_out_true_accuracy: r.accuracy,
              held_out_unparseable: r.unparseable,
              ...(r.judgeReward === null ? {} : { held_out_judge_reward: r.judgeReward }),
            }),
          };
        },
      },
      hooks,
    );
  } finally {
    await answersLog.close();
    await cache?.close();
  }
}
