// `r1-reward serve-reward`: the OpenRLHF / verl reward server (docs/spec.md §8), wiring only.
import type { Command } from 'commander';
import { deprecatedAlias, msToSeconds, runAction, seconds, withExitCodes } from './options.js';
import {
  addRewardServerOptions,
  positiveInt,
  type RewardServerCliOptions,
  rewardServerSettings,
  templateFamily,
} from './reward-server-options.js';

interface ServeRewardOptions extends RewardServerCliOptions {
  labels?: string;
  promptKey: string;
  referee: string;
  refereeModel?: string;
  refereeApiKey?: string;
  refereeTimeout: number;
  refereeAttempts: string;
  refereeConcurrency: string;
  template: string;
  nearest?: boolean;
  deadline: number;
}

export function registerServeReward(program: Command): void {
  const command = program
    .command('serve-reward')
    .description('serve R1-Reward rewards to OpenRLHF (--remote_rm_url) or verl over HTTP')
    .option(
      '--labels <file>',
      'R1-Reward RL JSONL: prompt → label lookup for requests without labels (default: none, labels must come in the body)',
    )
    .option('--prompt-key <key>', 'field of --labels holding the prompt the trainer sends', 'message')
    .option('--referee <rule|url>', "consistency referee: 'rule' or an OpenAI-compatible base URL", 'rule')
    .option(
      '--referee-model <name>',
      "the referee endpoint's model name (default: the endpoint's first listed model)",
    )
    .option(
      '--referee-api-key <key>',
      'API key for the referee endpoint (default: env R1_REWARD_REFEREE_API_KEY, else none)',
    )
    .option('--referee-timeout <seconds>', 'timeout of one referee call', seconds('--referee-timeout'), 30)
    .option('--referee-attempts <n>', 'referee calls per sample before C = 0', '3')
    .option('--referee-concurrency <n>', 'referee calls in flight at once, across all requests', '256')
    .option('--template <family>', 'chat template of the queries: auto, chatml, llama3 or plain', 'auto')
    .option('--nearest', 'use the most similar known prompt when a prompt is not in --labels')
    .option(
      '--deadline <seconds>',
      'answer every request within this time (unfinished referee calls → C = 0)',
      seconds('--deadline'),
      120,
    );
  addRewardServerOptions(command);
  deprecatedAlias(command, '--model <name>', '--referee-model');
  deprecatedAlias(command, '--referee-timeout-ms <ms>', '--referee-timeout', msToSeconds);
  deprecatedAlias(command, '--deadline-ms <ms>', '--deadline', msToSeconds);
  withExitCodes(command).action(runAction(serveReward));
}

async function serveReward(options: ServeRewardOptions): Promise<void> {
  // Loaded here, not at start-up, so other commands do not pay for fastify, openai and prom-client.
  const { createReferee } = await import('../reward/referees/index.js');
  const { readRewardLabels } = await import('../serve/reward-labels.js');
  const { buildRewardServer } = await import('../serve/reward-server.js');
  const { closeOnSignals } = await import('../serve/http-guards.js');
  // Where to listen; the rest (key, body and batch limits, logging) goes to the server as it is.
  const { host, port, ...limits } = rewardServerSettings(options);
  const referee = createReferee(options.referee, {
    model: options.refereeModel,
    apiKey: options.refereeApiKey ?? process.env['R1_REWARD_REFEREE_API_KEY'],
    timeoutMs: Math.round(options.refereeTimeout * 1000),
    maxAttempts: positiveInt('--referee-attempts', options.refereeAttempts),
    concurrency: positiveInt('--referee-concurrency', options.refereeConcurrency),
  });
  const labels = options.labels ? await readRewardLabels(options.labels, options.promptKey) : undefined;
  const app = await buildRewardServer({
    referee,
    labels,
    nearest: options.nearest ?? false,
    template: templateFamily('--template', options.template),
    deadlineMs: Math.round(options.deadline * 1000),
    ...limits,
  });
  const address = await app.listen({ host, port });
  console.log(
    `r1-reward serve-reward listening on ${address} (POST /get_reward, /get_reward_mllm; referee ${referee.name}${labels ? `; ${labels.size} labelled prompts` : ''})`,
  );
  // Graceful shutdown: stop accepting, let in-flight requests finish, then exit.
  closeOnSignals(app);
}
