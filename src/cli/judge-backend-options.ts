// Options shared by `judge` and `bench run`: which judge backend to use and how to sample from it.
import { type Command, Option } from 'commander';
import { R1_EVAL_MAX_PIXELS } from '../data/index.js';
import { checkDevice } from '../engine/dtype.js';
import type { JudgeBackend } from '../judge/backend.js';
import { LocalModelBackend } from '../judge/local-backend.js';
import { OpenAICompatibleBackend } from '../judge/openai-backend.js';
import { ORDER_PROTOCOLS, type OrderProtocol, parseOrder } from '../judge/order.js';
import { loadTemplate } from '../judge/prompt.js';
import { COMPACT_TEMPLATE } from '../model/judge-format.js';
import {
  addCheckpointOption,
  deprecatedAlias,
  integerAtLeast,
  numberOption,
  positiveInteger,
  resolveCheckpointPath,
  runAction,
} from './options.js';

export interface BackendOptions {
  endpoint: string[];
  /** The model name the endpoint lists at /v1/models (`--model-name`). */
  modelName?: string;
  /** A checkpoint trained here, judged in-process (`--checkpoint`), resolved to a checkpoint folder. */
  checkpoint?: string;
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

const nonNegative = (flag: string) => numberOption(flag, (x) => x >= 0, 'a number ≥ 0');
const collect = (value: string, previous: string[]) => [...previous, value];

export function addBackendOptions(
  command: Command,
  defaults: { concurrency: number; order?: OrderProtocol },
): Command {
  command
    .option(
      '--endpoint <url>',
      'OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (repeat to balance over several)',
      collect,
      [],
    )
    .option(
      '--model-name <name>',
      'with --endpoint: the model name the server lists at /v1/models (default: none, required)',
    );
  addCheckpointOption(
    command,
    'judge in-process with a checkpoint trained here instead of an endpoint (compact template by default)',
  );
  command
    .option(
      '--device <name>',
      "with --checkpoint: 'cpu', 'cuda' or 'cuda:N' (needs a CUDA libtorch) (default: cpu)",
    )
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
      numberOption('--seed', Number.isSafeInteger, 'an integer'),
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
      numberOption('--top-p', (x) => x > 0 && x <= 1, 'in (0, 1]'),
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
      integerAtLeast('--retries', 0),
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
      'custom judge prompt (.txt, or .json with a "template" field) (default: the released R1-Reward prompt; with --checkpoint the compact one)',
    )
    .option(
      '--max-pixels <n>',
      `downscale images above this many pixels before sending (0 = never; released eval ${R1_EVAL_MAX_PIXELS})`,
      nonNegative('--max-pixels'),
      R1_EVAL_MAX_PIXELS,
    );
  deprecatedAlias(command, '--model <name>', '--model-name');
  return deprecatedAlias(command, '--local <checkpoint>', '--checkpoint');
}

export function backendFromOptions(options: BackendOptions): JudgeBackend {
  if (options.checkpoint)
    return new LocalModelBackend({
      checkpoint: resolveCheckpointPath(options.checkpoint),
      device: checkDevice(options.device ?? 'cpu', '--device'),
      temperature: options.temperature,
      topP: options.topP,
      maxTokens: options.maxTokens,
      seed: options.seed,
      maxBatchPrompts: options.concurrency,
    });
  if (options.device !== undefined)
    throw new Error(
      '--device places the in-process model: use it with --checkpoint (an endpoint places its own)',
    );
  if (options.endpoint.length === 0)
    throw new Error(
      'give --endpoint URL (an OpenAI-compatible server, e.g. vLLM or r1-reward serve) and --model-name NAME, or --checkpoint DIR to judge in-process',
    );
  if (!options.modelName)
    throw new Error('give --model-name NAME, the model name the server lists at /v1/models');
  return new OpenAICompatibleBackend({
    baseURLs: options.endpoint,
    model: options.modelName,
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
      : options.checkpoint
        ? { template: COMPACT_TEMPLATE }
        : {}),
    maxPixels: options.maxPixels === 0 ? Number.POSITIVE_INFINITY : options.maxPixels,
  };
}

/** The shared action wrapper under its older name (src/cli/options.ts `runAction`). */
export const exitOnError = runAction;
