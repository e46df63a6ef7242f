// `r1-reward experiment policy`: best-of-N against the truth (src/experiments/policy); wiring only.
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { QUESTION_KINDS, type QuestionKind } from '../data/index.js';
import {
  DEFAULT_POLICY_EXPERIMENT,
  type JudgeSpec,
  type PolicyExperimentConfig,
  runPolicyExperiment,
  type Shard,
} from '../experiments/policy/experiment.js';
import { writePolicyExperimentReport } from '../experiments/policy/report.js';
import { RANK_SCHEMES, type RankScheme } from '../rank/types.js';
import { reportErrors } from './train.js';

const positive = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${flag} must be a positive integer, got '${value}'`);
  return n;
};

const listOf =
  <T extends string>(flag: string, allowed: readonly string[]) =>
  (value: string): T[] => {
    const items = value.split(',').map((s) => s.trim());
    for (const item of items)
      if (!allowed.includes(item))
        throw new InvalidArgumentError(
          `${flag}: unknown '${item}'; use a comma-separated list of ${allowed.join(', ')}`,
        );
    return items as T[];
  };

/** `--judge NAME=PATH` or `--judge PATH` (named after its run folder), repeatable. */
const judgeOf = (value: string, previous: JudgeSpec[] = []): JudgeSpec[] => {
  const eq = value.indexOf('=');
  const checkpoint = eq > 0 ? value.slice(eq + 1) : value;
  // A run folder's checkpoint sits in RUN/checkpoints/step-N: name it after RUN.
  const name =
    eq > 0
      ? value.slice(0, eq)
      : basename(/checkpoints\/step-\d+\/?$/.test(value) ? dirname(dirname(value)) : value);
  return [...previous, { name, checkpoint }];
};

const shardOf = (value: string): Shard => {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m || Number(m[1]) >= Number(m[2]))
    throw new InvalidArgumentError(`--shard must be i/n with 0 ≤ i < n (e.g. 0/4), got '${value}'`);
  return { index: Number(m[1]), count: Number(m[2]) };
};

export function registerPolicyExperiment(experiment: Command): void {
  const d = DEFAULT_POLICY_EXPERIMENT;
  experiment
    .command('policy')
    .description(
      'train a policy on the synthetic world, sample N answers per held-out question, and measure the true accuracy of the answer each judge picks (vs chance, majority vote, oracle); resumable; writes OUT/best-of-n.md',
    )
    .requiredOption('--out <dir>', 'experiment folder (re-run the same command to continue it)')
    .option(
      '--judge <[name=]path>',
      'a judge checkpoint or run folder (repeatable), e.g. sft=RUN/sft',
      judgeOf,
      [],
    )
    .option(
      '--kinds <list>',
      `question kinds (default ${d.task.kinds.join(',')})`,
      listOf<QuestionKind>('--kinds', QUESTION_KINDS),
    )
    .option('--questions <n>', 'held-out questions', positive('--questions'), d.questions)
    .option(
      '--max-n <n>',
      'samples per question; N runs over 1, 2, 4, … up to it',
      positive('--max-n'),
      d.ns.at(-1),
    )
    .option(
      '--schemes <list>',
      `ranking schemes (default all): ${RANK_SCHEMES.join(', ')}`,
      listOf<RankScheme>('--schemes', RANK_SCHEMES),
    )
    .option('--policy-steps <n>', 'SFT steps of the policy', positive('--policy-steps'), d.policy.steps)
    .option(
      '--train-size <n>',
      'training questions of the policy',
      positive('--train-size'),
      d.data.trainSize,
    )
    .option(
      '--flawed-share <x>',
      'share of flawed training targets (the policy’s imperfection)',
      Number,
      d.data.flawedShare,
    )
    .option('--k <n>', 'judge samples per comparison order', positive('--k'), d.judging.k)
    .option('--seed <n>', 'seed of the task, the policy and its samples', positive('--seed'), d.task.seed)
    .option(
      '--shard <i/n>',
      'only the held-out questions i, i+n, … (after one run without it trained the policy)',
      shardOf,
    )
    .option('--threads <n>', 'libtorch threads', positive('--threads'))
    .action(
      (o: {
        out: string;
        judge: JudgeSpec[];
        kinds?: QuestionKind[];
        questions: number;
        maxN: number;
        schemes?: RankScheme[];
        policySteps: number;
        trainSize: number;
        flawedShare: number;
        k: number;
        seed: number;
        shard?: Shard;
        threads?: number;
      }) =>
        reportErrors(async () => {
          const ns: number[] = [];
          for (let n = 1; n <= o.maxN; n *= 2) ns.push(n);
          const config: PolicyExperimentConfig = {
            ...d,
            outDir: o.out,
            task: { ...d.task, seed: o.seed, ...(o.kinds ? { kinds: o.kinds } : {}) },
            data: { trainSize: o.trainSize, flawedShare: o.flawedShare },
            policy: { ...d.policy, steps: o.policySteps, seed: o.seed },
            questions: o.questions,
            ns,
            sampling: { ...d.sampling, seed: o.seed },
            judges: o.judge,
            schemes: o.schemes ?? d.schemes,
            judging: { ...d.judging, k: o.k },
            ...(o.shard ? { shard: o.shard } : {}),
            ...(o.threads ? { threads: o.threads } : {}),
          };
          const data = await runPolicyExperiment(config, { onPhase: (p) => console.error(`[policy] ${p}`) });
          console.log(writePolicyExperimentReport(config, data));
        }),
    );
}
