// `r1-reward experiment policy`: best-of-N against the truth (src/experiments/policy); wiring only.
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { QUESTION_KINDS, type QuestionKind } from '../data/index.js';
import {
  DEFAULT_POLICY_EXPERIMENT,
  type JudgeSpec,
  type PolicyExperimentConfig,
  runPolicyExperiment,
} from '../experiments/policy/experiment.js';
import { POLICY_REWARDS, type PolicyRewardName } from '../experiments/policy/policy-rl.js';
import { writePolicyExperimentReport } from '../experiments/policy/report.js';
import {
  DEFAULT_POLICY_RL,
  type PolicyRlExperimentConfig,
  runPolicyRlExperiment,
  writePolicyRlReport,
} from '../experiments/policy/rl-experiment.js';
import type { Shard } from '../experiments/shard.js';
import { RANK_SCHEMES, type RankScheme } from '../rank/types.js';
import { ALGORITHMS } from '../train/rl-config.js';
import { addThreadsOption, commaList, positiveInteger, shardOption, withExitCodes } from './options.js';
import { reportErrors } from './train.js';

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

export function registerPolicyExperiment(experiment: Command): void {
  const d = DEFAULT_POLICY_EXPERIMENT;
  const command = experiment
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
      `question kinds (default: ${d.task.kinds.join(',')})`,
      commaList<QuestionKind>('--kinds', QUESTION_KINDS),
    )
    .option('--questions <n>', 'held-out questions', positiveInteger('--questions'), d.questions)
    .option(
      '--max-n <n>',
      'samples per question; N runs over 1, 2, 4, … up to it',
      positiveInteger('--max-n'),
      d.ns.at(-1),
    )
    .option(
      '--schemes <list>',
      `ranking schemes: ${RANK_SCHEMES.join(', ')} (default: all)`,
      commaList<RankScheme>('--schemes', RANK_SCHEMES),
    )
    .option(
      '--policy-steps <n>',
      'SFT steps of the policy',
      positiveInteger('--policy-steps'),
      d.policy.steps,
    )
    .option(
      '--policy-init <path>',
      'start the policy from this checkpoint or run folder, e.g. the demo’s OUT/pretrain (a fresh policy learns the answers’ form but not the image) (default: none, a fresh policy)',
    )
    .option(
      '--train-size <n>',
      'training questions of the policy',
      positiveInteger('--train-size'),
      d.data.trainSize,
    )
    .option(
      '--flawed-share <x>',
      'share of flawed training targets (the policy’s imperfection)',
      Number,
      d.data.flawedShare,
    )
    .option('--k <n>', 'judge samples per comparison order', positiveInteger('--k'), d.judging.k)
    .option(
      '--seed <n>',
      'seed of the task, the policy and its samples',
      positiveInteger('--seed'),
      d.task.seed,
    )
    .option(
      '--shard <i/n>',
      'only the held-out questions i, i+n, … (after one run without it trained the policy) (default: all)',
      shardOption,
    );
  addThreadsOption(command);
  withExitCodes(command).action(
    (o: {
      out: string;
      judge: JudgeSpec[];
      kinds?: QuestionKind[];
      questions: number;
      maxN: number;
      schemes?: RankScheme[];
      policySteps: number;
      policyInit?: string;
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
          policy: {
            ...d.policy,
            steps: o.policySteps,
            seed: o.seed,
            ...(o.policyInit ? { init: o.policyInit } : {}),
          },
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

export function registerPolicyRlExperiment(experiment: Command): void {
  const d = DEFAULT_POLICY_RL;
  const command = experiment
    .command('policy-rl')
    .description(
      'RL of a policy (from experiment policy) with the judge ranking each group, the judge against the reference, or the truth; every reward × seed; logs held-out true accuracy and the judge’s win rate; resumable; writes OUT/policy-rl.md',
    )
    .requiredOption(
      '--policy <path>',
      'the SFT policy: a checkpoint or run folder (experiment policy’s OUT/policy)',
    )
    .requiredOption('--out <dir>', 'experiment folder (re-run the same command to continue it)')
    .option(
      '--judge <[name=]path>',
      'the judge checkpoint or run folder (needed by the judge rewards)',
      judgeOf,
      [],
    )
    .option(
      '--rewards <list>',
      `comma-separated rewards: ${POLICY_REWARDS.join(', ')} (default: ${d.rewards.join(',')} with --judge, truth without)`,
      commaList<PolicyRewardName>('--rewards', POLICY_REWARDS),
    )
    .option('--seeds <n>', 'seeds per reward', positiveInteger('--seeds'), d.seeds.length)
    .option('--steps <n>', 'RL steps per run', positiveInteger('--steps'), d.loop.steps)
    .option(
      '--rollout-batch <n>',
      'prompts per step',
      positiveInteger('--rollout-batch'),
      d.loop.rolloutBatch,
    )
    .option(
      '--group <n>',
      'samples per prompt (the group the judge ranks)',
      positiveInteger('--group'),
      d.loop.samplesPerPrompt,
    )
    .addOption(
      new Option('--algorithm <name>', 'advantages and loss of the RL loop (docs/spec.md §4)')
        .choices([...ALGORITHMS])
        .default(d.loop.algorithm),
    )
    .option('--lr <x>', 'RL learning rate', Number, d.loop.lr)
    .option(
      '--eval-every <n>',
      'steps between held-out evaluations',
      positiveInteger('--eval-every'),
      d.loop.evalEvery,
    )
    .option(
      '--eval-questions <n>',
      'held-out questions per evaluation',
      positiveInteger('--eval-questions'),
      d.evalQuestions,
    )
    .option(
      '--kinds <list>',
      `question kinds (default: ${d.task.kinds.join(',')})`,
      commaList<QuestionKind>('--kinds', QUESTION_KINDS),
    );
  addThreadsOption(command);
  withExitCodes(command).action(
    (o: {
      policy: string;
      out: string;
      judge: JudgeSpec[];
      rewards?: PolicyRewardName[];
      seeds: number;
      steps: number;
      rolloutBatch: number;
      group: number;
      algorithm: PolicyRlExperimentConfig['loop']['algorithm'];
      lr: number;
      evalEvery: number;
      evalQuestions: number;
      kinds?: QuestionKind[];
      threads?: number;
    }) =>
      reportErrors(async () => {
        if (o.judge.length > 1) throw new InvalidArgumentError('--judge: policy-rl takes one judge');
        const config = {
          ...d,
          outDir: o.out,
          policy: o.policy,
          judge: o.judge[0] ?? null,
          rewards: o.rewards ?? (o.judge.length > 0 ? d.rewards : ['truth' as const]),
          seeds: Array.from({ length: o.seeds }, (_, i) => i + 1),
          task: { ...d.task, ...(o.kinds ? { kinds: o.kinds } : {}) },
          evalQuestions: o.evalQuestions,
          loop: {
            ...d.loop,
            steps: o.steps,
            rolloutBatch: o.rolloutBatch,
            samplesPerPrompt: o.group,
            algorithm: o.algorithm,
            lr: o.lr,
            evalEvery: o.evalEvery,
          },
          ...(o.threads ? { threads: o.threads } : {}),
        };
        await runPolicyRlExperiment(config, {
          onRun: (reward, seed) => console.error(`[policy-rl] ${reward} · seed ${seed}`),
          onStep: (step, total) => {
            if ((step + 1) % 5 === 0 || step + 1 === total) console.error(`  step ${step + 1}/${total}`);
          },
        });
        console.log(await writePolicyRlReport(config));
      }),
  );
}
