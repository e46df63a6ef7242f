// `r1-reward serve-policy-reward`: rewards for a policy's rollouts from the pairwise judge, served
// to OpenRLHF, verl and TRL (docs/policy-reward.md). Wiring only.
import { dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  addBackendOptions,
  type BackendOptions,
  backendFromOptions,
  judgeSettings,
} from './judge-backend-options.js';
import { positiveInteger, regexOption, runAction, withExitCodes } from './options.js';
import {
  addRewardServerOptions,
  positiveInt,
  type RewardServerCliOptions,
  rewardServerSettings,
  templateFamily,
} from './reward-server-options.js';

interface ServePolicyRewardOptions extends BackendOptions, RewardServerCliOptions {
  data?: string;
  promptKey: string;
  referenceKey: string;
  imagesRoot?: string;
  nearest?: boolean;
  mode: 'group' | 'reference';
  groupSize: number;
  groupTimeout: number;
  judgeDeadline: number;
  maxOpenGroups: number;
  scheme: 'round-robin' | 'knockout' | 'swiss' | 'sort';
  rounds?: number;
  cacheEntries: number;
  formatPattern?: RegExp;
  chatTemplate: string;
}

/** OpenRLHF gives up on a request after this long (and retries it). */
const TRAINER_TIMEOUT_S = 180;

export function registerServePolicyReward(program: Command): void {
  const command = program
    .command('serve-policy-reward')
    .description("reward a policy's rollouts with the pairwise judge, for OpenRLHF, verl and TRL")
    .option(
      '--data <file>',
      "the policy's prompt JSONL: prompt → item (question, images, reference) (default: none)",
    )
    .option('--prompt-key <key>', 'field of --data holding the prompt the trainer sends', 'message')
    .option('--reference-key <key>', 'field of --data holding the reference answer', 'reference')
    .option('--images-root <dir>', 'folder image paths are relative to (default: the folder of --data)')
    .option('--nearest', 'use the most similar known prompt when a prompt is not in --data')
    .addOption(
      new Option(
        '--mode <mode>',
        'group: rank each prompt’s rollouts together; reference: each against the reference',
      )
        .choices(['group', 'reference'])
        .default('group'),
    )
    .option(
      '--group-size <n>',
      'rollouts per prompt (the trainer’s samples per prompt)',
      positiveInteger('--group-size'),
      8,
    )
    .option(
      '--group-timeout <seconds>',
      'rank a group with what has arrived this long after its first rollout',
      positiveInteger('--group-timeout'),
      60,
    )
    .option(
      '--judge-deadline <seconds>',
      'judging one group ends by then (late or failed: reward 0, score 0.5, extra_logs.judge_failed)',
      positiveInteger('--judge-deadline'),
      100,
    )
    .option(
      '--max-open-groups <n>',
      'groups waiting at once; beyond it, 503',
      positiveInteger('--max-open-groups'),
      4096,
    )
    .addOption(
      new Option('--scheme <scheme>', 'how a group’s rollouts meet')
        .choices(['round-robin', 'knockout', 'swiss', 'sort'])
        .default('round-robin'),
    )
    .option('--rounds <n>', 'swiss rounds (default: the ranking default)', positiveInteger('--rounds'))
    .option(
      '--cache-entries <n>',
      'judge requests kept in the in-memory cache',
      positiveInteger('--cache-entries'),
      100_000,
    )
    .option(
      '--format-pattern <regex>',
      'a format gate: a response this JavaScript regular expression does not match scores 0 unjudged (anchor it with ^…$ to match the whole response) (default: none)',
      regexOption('--format-pattern'),
    )
    .option(
      '--chat-template <family>',
      'chat template of the queries: auto, chatml, llama3 or plain',
      'auto',
    );
  addRewardServerOptions(addBackendOptions(command, { concurrency: 64, order: 'both' }));
  withExitCodes(command).action(runAction(servePolicyReward));
}

async function servePolicyReward(options: ServePolicyRewardOptions): Promise<void> {
  // Loaded here, not at start-up, so other commands do not pay for fastify and the judge.
  const { readPolicyItems, ItemImages } = await import('../serve/policy-items.js');
  const { buildPolicyRewardServer } = await import('../serve/policy-reward-server.js');
  const { createPolicyJudge, gateResponses } = await import('../serve/policy-judge.js');
  const { BoundedJudgementCache } = await import('../serve/bounded-cache.js');
  const { closeOnSignals } = await import('../serve/http-guards.js');
  // Where to listen; the rest (key, body and batch limits, logging) goes to the server as it is.
  const { host, port, ...limits } = rewardServerSettings(options);
  const chatTemplate = templateFamily('--chat-template', options.chatTemplate);
  if (options.order !== 'both' && options.order !== 'random')
    throw new RangeError(`--order must be both or random for ranking, got '${options.order}'`);
  if (options.groupTimeout + options.judgeDeadline >= TRAINER_TIMEOUT_S)
    console.warn(
      `warning: --group-timeout ${options.groupTimeout} + --judge-deadline ${options.judgeDeadline} s reach OpenRLHF's ${TRAINER_TIMEOUT_S} s request timeout; a late group is retried instead of answered`,
    );
  const settings = judgeSettings(options);
  const imagesRoot = resolve(options.imagesRoot ?? (options.data ? dirname(options.data) : '.'));
  const items = options.data
    ? await readPolicyItems(options.data, {
        promptKey: options.promptKey,
        referenceKey: options.referenceKey,
        imagesRoot,
        requireReference: options.mode === 'reference',
      })
    : undefined;
  const backend = backendFromOptions(options);
  const judged = createPolicyJudge(backend, {
    scheme: options.scheme,
    k: options.k,
    order: options.order,
    seed: options.seed,
    cache: new BoundedJudgementCache(positiveInt('--cache-entries', String(options.cacheEntries))),
    ...(options.rounds === undefined ? {} : { rounds: options.rounds }),
    ...(settings.template === undefined ? {} : { template: settings.template }),
  });
  const judge = options.formatPattern ? gateResponses(judged, options.formatPattern) : judged;
  const app = await buildPolicyRewardServer({
    mode: options.mode,
    judge,
    images: new ItemImages({ imagesRoot, maxPixels: settings.maxPixels }),
    items,
    imagesRoot,
    nearest: options.nearest ?? false,
    groupSize: options.groupSize,
    groupTimeoutMs: options.groupTimeout * 1000,
    judgeDeadlineMs: options.judgeDeadline * 1000,
    maxOpenGroups: options.maxOpenGroups,
    template: chatTemplate,
    ...limits,
  });
  const address = await app.listen({ host, port });
  const grouping =
    options.mode === 'group'
      ? `groups of ${options.groupSize}, ${options.scheme}, timeout ${options.groupTimeout} s`
      : 'each rollout against its reference';
  console.log(
    `r1-reward serve-policy-reward listening on ${address} (POST /get_reward; ${grouping}; K=${options.k}, order ${options.order}${items ? `; ${items.size} prompts` : ''})`,
  );
  // SIGTERM: held rollouts are ranked with their groups as they stand and answered, then exit.
  closeOnSignals(app, () => backend.close?.());
}
