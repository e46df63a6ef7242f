// `r1-reward serve --checkpoint CKPT`: the OpenAI-compatible server for a checkpoint trained here,
// wiring only.
import { basename, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { checkDevice } from '../engine/dtype.js';
import {
  addCheckpointOption,
  addImagesRootOption,
  deprecatedAlias,
  resolveCheckpointPath,
  runAction,
  withExitCodes,
} from './options.js';

interface ServeOptions {
  checkpoint: string;
  modelName?: string;
  host: string;
  port: string;
  apiKey?: string;
  imagesRoot?: string;
  allowRemoteImages?: boolean;
  allowImageNetwork: string[];
  maxImageMb: string;
  maxImagePixels: string;
  bodyLimitMb: string;
  batchWindowMs: string;
  maxBatch: string;
  defaultMaxTokens: string;
  seed: string;
  device: string;
  log?: boolean;
}

function wholeNumber(name: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min)
    throw new RangeError(`${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description('serve a checkpoint trained here over an OpenAI-compatible API (/v1/chat/completions)');
  addCheckpointOption(command, 'the checkpoint to serve', { required: true })
    .option('--model-name <name>', 'model name listed at /v1/models (default: the checkpoint folder name)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8000')
    .option(
      '--api-key <key>',
      'require "Authorization: Bearer <key>" (default: env R1_REWARD_API_KEY, else none)',
    );
  addImagesRootOption(
    command,
    'allow image_url file paths (or file:// URLs) inside this folder only (default: none, local files refused)',
  )
    .option('--allow-remote-images', 'fetch http(s) image URLs from public addresses (off by default)')
    .addOption(
      new Option(
        '--allow-image-network <ip|cidr>',
        'with --allow-remote-images: also fetch from this loopback/private address or range (repeat for several)',
      )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], 'none'),
    )
    .option('--max-image-mb <mb>', 'largest encoded image', '16')
    .option('--max-image-pixels <n>', 'largest declared width × height, checked before decoding', '40000000')
    .option('--body-limit-mb <mb>', 'largest request body', '32')
    .option('--batch-window-ms <ms>', 'dynamic batching: how long an idle model waits for more requests', '5')
    .option('--max-batch <n>', 'most prompts in one batched generate call', '16')
    .option('--default-max-tokens <n>', 'max_tokens when a request sends none', '256')
    .option('--seed <n>', 'seed of the sampler for requests without a seed', '0')
    .option('--device <name>', "'cpu', 'cuda' or 'cuda:N' (needs a CUDA libtorch)", 'cpu')
    .option('--log', 'log every request (pino JSON on stdout)');
  deprecatedAlias(command, '--model <checkpoint>', '--checkpoint');
  deprecatedAlias(command, '--name <name>', '--model-name');
  deprecatedAlias(command, '--image-root <dir>', '--images-root');
  withExitCodes(command).action(runAction(serve));
}

async function serve(options: ServeOptions): Promise<void> {
  // Loaded here, not at start-up, so other commands do not pay for the model and fastify.
  const { loadCheckpoint } = await import('../model/index.js');
  const { buildChatServer } = await import('../serve/chat-server.js');
  const { closeOnSignals } = await import('../serve/http-guards.js');
  const { networkList } = await import('../inference/remote-image.js');
  networkList(options.allowImageNetwork, '--allow-image-network'); // a bad entry stops start-up
  const port = wholeNumber('--port', options.port, 0);
  if (port > 65535) throw new RangeError(`--port must be at most 65535, got '${options.port}'`);
  const given = resolve(options.checkpoint);
  const dir = resolveCheckpointPath(given);
  const checkpoint = loadCheckpoint(dir, { device: checkDevice(options.device, '--device') });
  // A run folder is named by the run, not by its step-NNNNNN folder.
  const modelName = options.modelName ?? basename(given);
  const app = await buildChatServer({
    checkpoint,
    modelName,
    images: {
      allowedRoot: options.imagesRoot ? resolve(options.imagesRoot) : undefined,
      allowRemote: options.allowRemoteImages ?? false,
      allowedNetworks: options.allowImageNetwork,
      maxInputBytes: wholeNumber('--max-image-mb', options.maxImageMb, 1) * 1024 * 1024,
      maxInputPixels: wholeNumber('--max-image-pixels', options.maxImagePixels, 1),
    },
    apiKey: options.apiKey ?? process.env['R1_REWARD_API_KEY'],
    bodyLimitBytes: wholeNumber('--body-limit-mb', options.bodyLimitMb, 1) * 1024 * 1024,
    batchWindowMs: wholeNumber('--batch-window-ms', options.batchWindowMs, 0),
    maxBatchPrompts: wholeNumber('--max-batch', options.maxBatch, 1),
    defaultMaxTokens: wholeNumber('--default-max-tokens', options.defaultMaxTokens, 1),
    seed: wholeNumber('--seed', options.seed, 0),
    logger: options.log ?? false,
  });
  const address = await app.listen({ host: options.host, port });
  console.log(
    `r1-reward serve listening on ${address} (model ${modelName}, ${dir}; POST /v1/chat/completions, GET /v1/models, /health, /metrics)`,
  );
  closeOnSignals(app);
}
