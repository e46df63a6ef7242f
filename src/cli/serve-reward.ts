// `r1-reward serve-reward`: the OpenRLHF / verl reward server (docs/spec.md §8), wiring only.
import type { Command } from 'commander';

interface ServeRewardOptions {
  labels?: string;
  promptKey: string;
  referee: string;
  model?: string;
  refereeApiKey?: string;
  refereeTimeoutMs: string;
  refereeAttempts: string;
  refereeConcurrency: string;
  apiKey?: string;
  host: string;
  port: string;
  template: 'auto' | 'chatml' | 'llama3' | 'plain';
  nearest?: boolean;
  deadlineMs: string;
  bodyLimitMb: string;
  maxBatch: string;
  log?: boolean;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`${name} must be a positive integer, got '${value}'`);
  return n;
}

export function registerServeReward(program: Command): void {
  program
    .command('serve-reward')
    .description('serve R1-Reward rewards to OpenRLHF (--remote_rm_url) or verl over HTTP')
    .option('--labels <file>', 'R1-Reward RL JSONL: prompt → label lookup for requests without labels')
    .option('--prompt-key <key>', 'field of --labels holding the prompt the trainer sends', 'message')
    .option('--referee <rule|url>', "consistency referee: 'rule' or an OpenAI-compatible base URL", 'rule')
    .option('--model <name>', "referee model name (default: the endpoint's first listed model)")
    .option('--referee-api-key <key>', 'API key for the referee endpoint (env R1_REWARD_REFEREE_API_KEY)')
    .option('--referee-timeout-ms <ms>', 'timeout of one referee call', '30000')
    .option('--referee-attempts <n>', 'referee calls per sample before C = 0', '3')
    .option('--referee-concurrency <n>', 'referee calls in flight at once, across all requests', '256')
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" (env R1_REWARD_API_KEY)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '5000')
    .option('--template <family>', 'chat template of the queries: auto, chatml, llama3 or plain', 'auto')
    .option('--nearest', 'use the most similar known prompt when a prompt is not in --labels')
    .option(
      '--deadline-ms <ms>',
      'answer every request within this time (unfinished referee calls → C = 0)',
      '120000',
    )
    .option('--body-limit-mb <mb>', 'largest request body', '64')
    .option('--max-batch <n>', 'most samples per request', '4096')
    .option('--log', 'log every request (pino JSON on stdout)')
    .action(async (options: ServeRewardOptions) => {
      try {
        await serveReward(options);
      } catch (error) {
        // Bad options or a bad labels file: one clear line, no stack trace.
        console.error(`serve-reward: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 2;
      }
    });
}

async function serveReward(options: ServeRewardOptions): Promise<void> {
  // Loaded here, not at start-up, so other commands do not pay for fastify, openai and prom-client.
  const { createReferee } = await import('../reward/referees/index.js');
  const { readRewardLabels } = await import('../serve/reward-labels.js');
  const { buildRewardServer } = await import('../serve/reward-server.js');
  const { closeOnSignals } = await import('../serve/http-guards.js');
  if (!['auto', 'chatml', 'llama3', 'plain'].includes(options.template))
    throw new RangeError(`--template must be auto, chatml, llama3 or plain, got '${options.template}'`);
  const referee = createReferee(options.referee, {
    model: options.model,
    apiKey: options.refereeApiKey ?? process.env['R1_REWARD_REFEREE_API_KEY'],
    timeoutMs: positiveInt('--referee-timeout-ms', options.refereeTimeoutMs),
    maxAttempts: positiveInt('--referee-attempts', options.refereeAttempts),
    concurrency: positiveInt('--referee-concurrency', options.refereeConcurrency),
  });
  const labels = options.labels ? await readRewardLabels(options.labels, options.promptKey) : undefined;
  const app = await buildRewardServer({
    referee,
    labels,
    nearest: options.nearest ?? false,
    template: options.template,
    apiKey: options.apiKey ?? process.env['R1_REWARD_API_KEY'],
    deadlineMs: positiveInt('--deadline-ms', options.deadlineMs),
    bodyLimitBytes: positiveInt('--body-limit-mb', options.bodyLimitMb) * 1024 * 1024,
    maxBatch: positiveInt('--max-batch', options.maxBatch),
    logger: options.log ?? false,
  });
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`--port must be an integer from 0 to 65535, got '${options.port}'`);
  const address = await app.listen({ host: options.host, port });
  console.log(
    `r1-reward serve-reward listening on ${address} (POST /get_reward, /get_reward_mllm; referee ${referee.name}${labels ? `; ${labels.size} labelled prompts` : ''})`,
  );
  // Graceful shutdown: stop accepting, let in-flight requests finish, then exit.
  closeOnSignals(app);
}
