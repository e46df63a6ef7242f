// The OpenRLHF / verl reward server (spec §8): POST /get_reward (and the released path
// /get_reward_mllm). Legacy body {query, prompts} → {rewards}; current body {query, prompts,
// labels} → {rewards, scores, extra_logs}. Every well-formed request is answered before its
// deadline: when the referee is slow or down, its unfinished calls become C = 0 (counted), because
// a trainer dies after 5 failed tries of 180 s.
import { isUtf8 } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Referee } from '../train/referees/referee.js';
import type { TemplateFamily } from './chat-template.js';
import { extraLogs, RewardInputError, type RewardRequest, scoreBatch } from './reward-batch.js';
import type { LabelIndex } from './reward-labels.js';
import { createRewardMetrics } from './reward-metrics.js';

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

/** Compares secrets in time independent of where they differ (hashing first equalises lengths). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function errorBody(message: string, field?: string) {
  return field ? { error: message, field } : { error: message };
}

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
  const app = Fastify({
    logger,
    bodyLimit: bodyLimitBytes,
    // Validation is strict: no type coercion ("3" is not 3, a string is not a one-item list).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const metrics = createRewardMetrics(referee);

  // While closing, answers to in-flight requests also close their keep-alive connection, so that
  // close() finishes as soon as they are sent instead of waiting for the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  // Only JSON is accepted (a text/plain body is a 415, not a string to validate).
  app.removeContentTypeParser('text/plain');
  // JSON bodies must be UTF-8: a non-UTF-8 body is refused instead of silently decoded with U+FFFD.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      const error = new Error('request body is not valid UTF-8; send JSON encoded as UTF-8') as FastifyError;
      error.statusCode = 400;
      done(error, undefined);
      return;
    }
    const text = bytes.toString('utf8');
    parseJson(request, text, (error, parsed) => {
      if ((error as FastifyError | null)?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        // Fastify's message does not say where; JSON.parse's does ("… at position 12").
        let detail = error?.message ?? '';
        try {
          JSON.parse(text);
        } catch (syntax) {
          detail = (syntax as Error).message;
        }
        const malformed = new Error(`malformed JSON body: ${detail}`) as FastifyError;
        malformed.statusCode = 400;
        done(malformed, undefined);
        return;
      }
      done(error, parsed);
    });
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!apiKey || request.url === '/health') return;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !sameSecret(token, apiKey)) {
      reply.header('www-authenticate', 'Bearer');
      return reply
        .code(401)
        .send(
          errorBody(
            'missing or wrong bearer token: send "Authorization: Bearer <key>"',
            'headers/authorization',
          ),
        );
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.requestSeconds.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const first = error.validation[0];
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const field = `${error.validationContext ?? 'body'}${first?.instancePath ?? ''}${missing ? `/${missing}` : ''}`;
      return reply.code(400).send(errorBody(error.message, field));
    }
    if (error instanceof RewardInputError) return reply.code(400).send(errorBody(error.message, error.field));
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error(error);
      return reply.code(status).send(errorBody(`internal error: ${error.message}`));
    }
    let message = error.message;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      message = `request body is larger than ${bodyLimitBytes} bytes; send smaller batches or raise --body-limit-mb`;
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      message = `${error.message}; send the body as JSON with "Content-Type: application/json"`;
    return reply.code(status).send(errorBody(message));
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
