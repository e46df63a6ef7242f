// Options shared by `judge` and `bench run`: which judge backend to use and how to sample from it.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { R1_EVAL_MAX_PIXELS } from '../data/index.js';
import { checkDevice } from '../engine/dtype.js';
import type { JudgeBackend } from '../judge/backend.js';
import { LocalModelBackend } from '../judge/local-backend.js';
import { OpenAICompatibleBackend } from '../judge/openai-backend.js';
import { ORDER_PROTOCOLS, type OrderProtocol, parseOrder } from '../judge/order.js';
import { loadTemplate } from '../judge/prompt.js';
import { COMPACT_TEMPLATE } from '../model/judge-format.js';

export interface BackendOptions {
  endpoint: string[];
  model?: string;
  local?: string;
  device?: string;
  apiKeyEnv: string;
  temperature: number;
  topP: number;
  maxTokens: number;
  timeout: number;
  retries: number;
  concurrency: number;
  useN: boolean;
  k: number;
  order: OrderProtocol;
  seed: number;
  template?: string;
  maxPixels: number;
}

function number(name: string, check: (x: number) => boolean, what: string) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || !check(x))
      throw new InvalidArgumentError(`${name} must be ${what}, got ${JSON.stringify(value)}`);
    return x;
  };
}
export const positiveInteger = (name: string) =>
  number(name, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
const nonNegative = (name: string) => number(name, (x) => x >= 0, 'a number ≥ 0');
const collect = (value: string, previous: string[]) => [...previous, value];

export function addBackendOptions(
  command: Command,
  defaults: { concurrency: number; order?: OrderProtocol },
): Command {
  return command
    .option(
      '--endpoint <url>',
      'OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (repeat to balance over several)',
      collect,
      [],
    )
    .option('--model <name>', 'model name as the server lists it at /v1/models')
    .option(
      '--local <checkpoint>',
      'judge with the in-process model: a checkpoint directory trained here (compact template by default)',
    )
    .option('--device <name>', "with --local: 'cpu' (default), 'cuda' or 'cuda:N' (needs a CUDA libtorch)")
    .option('--api-key-env <name>', 'environment variable holding the API key', 'OPENAI_API_KEY')
    .option('-k, --k <k>', 'samples per item and order (Voting@K)', positiveInteger('-k'), 1)
    .addOption(
      new Option(
        '--order <order>',
        'response order: fixed (first/preferred as Response 1), random (seeded per item), both, stored (as the benchmark file stores it)',
      )
        .choices([...ORDER_PROTOCOLS])
        .default(defaults.order ?? 'random'),
    )
    .option(
      '--seed <n>',
      'seed for the random order (and coin flips when scoring)',
      number('--seed', Number.isInteger, 'an integer'),
      0,
    )
    .option(
      '--temperature <t>',
      'sampling temperature (docs/spec.md §6: 1.0 for Voting@K)',
      nonNegative('--temperature'),
      1,
    )
    .option(
      '--top-p <p>',
      'nucleus sampling',
      number('--top-p', (x) => x > 0 && x <= 1, 'in (0, 1]'),
      1,
    )
    .option(
      '--max-tokens <n>',
      'most new tokens per sample (released eval: 4096)',
      positiveInteger('--max-tokens'),
      4096,
    )
    .option('--timeout <seconds>', 'per-request timeout', positiveInteger('--timeout'), 600)
    .option(
      '--retries <n>',
      'retries per request and endpoint (429/5xx/timeouts, honouring retry-after)',
      number('--retries', (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0'),
      4,
    )
    .option(
      '--concurrency <n>',
      'requests (and items) in flight at once',
      positiveInteger('--concurrency'),
      defaults.concurrency,
    )
    .option('--no-use-n', 'never ask for n = k in one request (one request per sample)')
    .option(
      '--template <file>',
      'custom judge prompt (.txt, or .json with a "template" field) instead of the released one',
    )
    .option(
      '--max-pixels <n>',
      `downscale images above this many pixels before sending (0 = never; released eval ${R1_EVAL_MAX_PIXELS})`,
      nonNegative('--max-pixels'),
      R1_EVAL_MAX_PIXELS,
    );
}

export function backendFromOptions(options: BackendOptions): JudgeBackend {
  if (options.local)
    return new LocalModelBackend({
      checkpoint: options.local,
      device: checkDevice(options.device ?? 'cpu', '--device'),
      temperature: options.temperature,
      topP: options.topP,
      maxTokens: options.maxTokens,
      seed: options.seed,
      maxBatchPrompts: options.concurrency,
    });
  if (options.device !== undefined)
    throw new Error('--device places the in-process model: use it with --local (an endpoint places its own)');
  if (options.endpoint.length === 0)
    throw new Error('give --endpoint URL (an OpenAI-compatible server, e.g. vLLM) and --model NAME');
  if (!options.model) throw new Error('give --model NAME, the model name the server lists at /v1/models');
  return new OpenAICompatibleBackend({
    baseURLs: options.endpoint,
    model: options.model,
    apiKeyEnv: options.apiKeyEnv,
    temperature: options.temperature,
    topP: options.topP,
    maxTokens: options.maxTokens,
    timeoutMs: options.timeout * 1000,
    maxRetries: options.retries,
    concurrency: options.concurrency,
    useN: options.useN ? 'auto' : 'never',
  });
}

export function judgeSettings(options: BackendOptions) {
  return {
    k: options.k,
    order: parseOrder(options.order),
    seed: options.seed,
    // The local model reads the compact template it was trained on unless told otherwise.
    ...(options.template
      ? { template: loadTemplate(options.template) }
      : options.local
        ? { template: COMPACT_TEMPLATE }
        : {}),
    maxPixels: options.maxPixels === 0 ? Number.POSITIVE_INFINITY : options.maxPixels,
  };
}

/**
 * Wraps a command action so that a failure prints one clear line (what went wrong, how to fix it)
 * and exits with status 1, instead of a stack trace. R1_DEBUG=1 keeps the stack.
 */
export function exitOnError<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      console.error(
        `error: ${process.env.R1_DEBUG ? (error as Error).stack : ((error as Error).message ?? String(error))}`,
      );
      process.exitCode = 1;
    }
  };
}
