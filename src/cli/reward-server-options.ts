// The HTTP options both reward servers take (serve-reward, serve-policy-reward): where to listen,
// the bearer key and the request limits; and the check of a chat-template option.
import type { Command } from 'commander';
import type { TemplateFamily } from '../serve/chat-template.js';

export interface RewardServerCliOptions {
  apiKey?: string;
  host: string;
  port: string;
  bodyLimitMb: string;
  maxBatch: string;
  log?: boolean;
}

/** The checked settings of {@link addRewardServerOptions}. */
export interface RewardServerSettings {
  apiKey: string | undefined;
  host: string;
  port: number;
  bodyLimitBytes: number;
  maxBatch: number;
  logger: boolean;
}

const TEMPLATES: readonly TemplateFamily[] = ['auto', 'chatml', 'llama3', 'plain'];

/** A positive integer option, or a RangeError naming the option. */
export function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`${name} must be a positive integer, got '${value}'`);
  return n;
}

export function addRewardServerOptions(command: Command): Command {
  return command
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" (env R1_REWARD_API_KEY)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '5000')
    .option('--body-limit-mb <mb>', 'largest request body', '64')
    .option('--max-batch <n>', 'most samples per request', '4096')
    .option('--log', 'log every request (pino JSON on stdout)');
}

/** A chat template family option (`--template` of serve-reward, `--chat-template` of serve-policy-reward). */
export function templateFamily(flag: string, value: string): TemplateFamily {
  if (!(TEMPLATES as readonly string[]).includes(value))
    throw new RangeError(`${flag} must be auto, chatml, llama3 or plain, got '${value}'`);
  return value as TemplateFamily;
}

export function rewardServerSettings(options: RewardServerCliOptions): RewardServerSettings {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`--port must be an integer from 0 to 65535, got '${options.port}'`);
  return {
    apiKey: options.apiKey ?? process.env['R1_REWARD_API_KEY'],
    host: options.host,
    port,
    bodyLimitBytes: positiveInt('--body-limit-mb', options.bodyLimitMb) * 1024 * 1024,
    maxBatch: positiveInt('--max-batch', options.maxBatch),
    logger: options.log ?? false,
  };
}
