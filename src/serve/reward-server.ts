// The OpenRLHF / verl reward server (docs/spec.md §8): POST /get_reward (and the released path
// /get_reward_mllm). Legacy body {query, prompts} → {rewards}; current body {query, prompts,
// labels} → {rewards, scores, extra_logs}. Every well-formed request is answered before its
// deadline: when the referee is slow or down, its unfinished calls become C = 0 (counted), because
// a trainer dies after 5 failed tries of 180 s.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Referee } from '../reward/referees/referee.js';
import type { TemplateFamily } from './chat-template.js';
import { guardedFastify } from './http-guards.js';
import { extraLogs, RewardInputError, type RewardRequest, scoreBatch } from './reward-batch.js';
import type { LabelIndex } from './reward-labels.js';
import { createRewardMetrics } from './reward-metrics.js';

/**
 * Options of {@link buildRewardServer}: the referee, labels, template, API key, deadline and request limits.
 */
export interface RewardServerOptions {
  referee: Referee;
  /** Prompt → label index (--labels); labels sent in the body take precedence. */
  labels?: LabelIndex;
  /** Use the most similar known prompt for an unknown one (counted in extra_logs.label_nearest). */
  nearest?: boolean;
  template?: TemplateFamily;
  /** When set, every route but /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** A request is answered within this time even if the referee is not (default 120 000 ms). */
  deadlineMs?: number;
  /** Largest request body in bytes (default 64 MiB). */
  bodyLimitBytes?: number;
  /** Most samples in one request (default 4096). */
  maxBatch?: number;
  /** Longest query / prompt in characters (default 1 000 000). */
  maxTextChars?: number;
  /** Fastify's pino logger (default off). */
  logger?: boolean;
}

const REWARD_ROUTES = ['/get_reward', '/get_reward_mllm'] as const;

function bodySchema(maxBatch: number, maxTextChars: number) {
  return {
    type: 'object',
    required: ['query'],
    properties: {
      query: {
        type: 'array',
        minItems: 1,
        maxItems: maxBatch,
        items: { type: 'string', maxLength: maxTextChars },
      },
      prompts: {
        type: 'array',
        maxItems: maxBatch,
        items: { anyOf: [{ type: 'string', maxLength: maxTextChars }, { type: 'null' }] },
      },
      labels: {
        type: 'array',
        maxItems: maxBatch,
        items: {
          anyOf: [
            { type: 'string', maxLength: 10_000 },
            { type: 'number' },
            { type: 'null' },
            {
              type: 'array',
              maxItems: 16,
              items: { anyOf: [{ type: 'string', maxLength: 10_000 }, { type: 'number' }] },
            },
          ],
        },
      },
    },
  } as const;
}

/**
 * The OpenRLHF / verl reward server (fastify): POST /get_reward (and /get_reward_mllm); legacy {query,
 * prompts} → {rewards}, current {query, prompts, labels} → {rewards, scores, extra_logs}. Call `listen` on
 * the result.
 */
export async function buildRewardServer(options: RewardServerOptions): Promise<FastifyInstance> {
  const {
    referee,
    labels,
    nearest = false,
    template = 'auto',
    apiKey,
    deadlineMs = 120_000,
    bodyLimitBytes = 64 * 1024 * 1024,
    maxBatch = 4096,
    maxTextChars = 1_000_000,
    logger = false,
  } = options;
  const metrics = createRewardMetrics(referee);
  const app = guardedFastify({
    apiKey,
    bodyLimitBytes,
    bodyLimitHint: 'send smaller batches or raise --body-limit-mb',
    logger,
    metrics,
    mapError: (error) =>
      error instanceof RewardInputError
        ? { status: 400, message: error.message, field: `body/${error.field}` }
        : undefined,
  });

  const handler = async (request: FastifyRequest<{ Body: RewardRequest }>, reply: FastifyReply) => {
    const body = request.body;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), deadlineMs);
    // A trainer that gave up (its own timeout) no longer needs the referee's answers.
    const onClose = () => {
      if (!reply.raw.writableFinished) deadline.abort();
    };
    reply.raw.once('close', onClose);
    metrics.inFlight.inc();
    try {
      const samples = await scoreBatch(body, { referee, labels, nearest, template, signal: deadline.signal });
      metrics.record(samples);
      const rewards = samples.map((s) => s.reward);
      if (body.labels === undefined) return { rewards };
      return { rewards, scores: samples.map((s) => s.result), extra_logs: extraLogs(samples) };
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
      metrics.inFlight.dec();
    }
  };

  const schema = { body: bodySchema(maxBatch, maxTextChars) };
  for (const url of REWARD_ROUTES) app.post(url, { schema }, handler);

  app.get('/health', async () => ({
    status: 'ok',
    referee: referee.name,
    labels: labels ? { source: labels.source, prompts: labels.size } : null,
  }));

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return app;
}
