// `r1-reward serve --model CKPT`: an OpenAI-compatible server for a checkpoint trained here.
// GET /v1/models, POST /v1/chat/completions (plain and SSE streaming, in OpenAI's shapes with usage),
// GET /health, GET /metrics. Concurrent requests are batched into the sampler (batcher.ts).
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram } from 'prom-client';
import { JobCancelledError, type SampledToken } from '../inference/batcher.js';
import { ImageInputError, type ImageSourcePolicy } from '../inference/image-input.js';
import { LocalModel } from '../inference/local-model.js';
import type { Generation, LoadedCheckpoint } from '../model/index.js';
import {
  type ChatCompletionBody,
  ChatInputError,
  type ChatLimits,
  chatBodySchema,
  cutAtStop,
  DEFAULT_CHAT_LIMITS,
  flattenMessages,
  stopList,
} from './chat-request.js';
import { createHttpMetrics, guardedFastify } from './http-guards.js';
import { ContentStream } from './stream-content.js';

/**
 * Options of {@link buildChatServer}: the checkpoint, its model name, image policy, API key, body limit and
 * batching.
 */
export interface ChatServerOptions {
  checkpoint: LoadedCheckpoint;
  /** The name /v1/models lists and requests may send as `model` (default: the checkpoint folder's name). */
  modelName: string;
  images?: ImageSourcePolicy;
  /** When set, every route but /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
  /** Largest request body in bytes (default 32 MiB). */
  bodyLimitBytes?: number;
  /** Dynamic batching: wait for more requests this long when the model is idle (default 5 ms). */
  batchWindowMs?: number;
  /** Most prompts in one batch (default 16). */
  maxBatchPrompts?: number;
  /** Seed of the sampler shared by requests without `seed` (default 0). */
  seed?: number;
  /** max_tokens when a request sends none (capped by the room left in config.maxSeqLen; default 256). */
  defaultMaxTokens?: number;
  limits?: Partial<ChatLimits>;
  logger?: boolean;
}

/** OpenAI's error shape, which the official clients parse. */
function openAIError(message: string, status: number, field?: string) {
  const type =
    status === 401 ? 'authentication_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: field ?? null, code: status === 404 ? 'model_not_found' : null } };
}

function createChatMetrics(queueDepth: () => number) {
  const http = createHttpMetrics(
    'r1_serve_',
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  );
  const registers = [http.registry];
  const tokens = new Counter({
    name: 'r1_serve_tokens_total',
    help: 'Prompt tokens read (image tokens included) and completion tokens generated',
    labelNames: ['kind'] as const,
    registers,
  });
  new Gauge({
    name: 'r1_serve_queue_depth',
    help: 'Requests waiting for the model',
    registers,
    collect() {
      this.set(queueDepth());
    },
  });
  const batchPrompts = new Histogram({
    name: 'r1_serve_batch_prompts',
    help: 'Prompts per batch (dynamic batching)',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers,
  });
  const generateSeconds = new Histogram({
    name: 'r1_serve_generate_seconds',
    help: 'Wall time of one batch, decode steps and the event-loop turns between them',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const inFlight = new Gauge({
    name: 'r1_serve_requests_in_flight',
    help: 'Requests being answered now',
    registers,
  });
  return { ...http, tokens, batchPrompts, generateSeconds, inFlight };
}

interface Choice {
  index: number;
  content: string;
  finishReason: 'stop' | 'length';
}

function toChoices(samples: readonly Generation[], stops: readonly string[]): Choice[] {
  return samples.map((g, index) => ({
    index,
    content: g.finishReason === 'stop' ? cutAtStop(g.text, stops) : g.text,
    finishReason: g.finishReason === 'length' ? 'length' : 'stop',
  }));
}

/** Features a client might count on that this server does not have: a clear 400, not silence. */
function refuseUnsupported(body: Record<string, unknown>): void {
  const asked = (key: string) => body[key] !== undefined && body[key] !== null && body[key] !== false;
  for (const key of ['logprobs', 'top_logprobs', 'tools', 'functions', 'tool_choice', 'function_call'])
    if (asked(key))
      throw new ChatInputError(`${key} is not supported by this server; leave it out`, `body/${key}`);
  const format = body['response_format'] as { type?: unknown } | undefined | null;
  if (format && format.type !== 'text')
    throw new ChatInputError(
      'response_format other than {"type": "text"} is not supported by this server',
      'body/response_format',
    );
}

/**
 * `r1-reward serve --model`: an OpenAI-compatible server (fastify) for a checkpoint trained here: /v1/models,
 * /v1/chat/completions (plain and streaming), /health, /metrics.
 */
export async function buildChatServer(options: ChatServerOptions): Promise<FastifyInstance> {
  const { checkpoint, modelName, defaultMaxTokens = 256 } = options;
  const limits = { ...DEFAULT_CHAT_LIMITS, ...options.limits };
  const bodyLimitBytes = options.bodyLimitBytes ?? 32 * 1024 * 1024;
  const m = createChatMetrics(() => local.batcher.queueDepth);
  const local = new LocalModel(checkpoint, {
    images: options.images ?? {},
    windowMs: options.batchWindowMs ?? 5,
    maxBatchPrompts: options.maxBatchPrompts ?? 16,
    seed: options.seed ?? 0,
    onBatch: (s) => {
      m.batchPrompts.observe(s.prompts);
      m.generateSeconds.observe(s.seconds);
    },
  });
  const created = Math.floor(Date.now() / 1000);
  const app = guardedFastify({
    apiKey: options.apiKey,
    bodyLimitBytes,
    bodyLimitHint: 'send smaller images or raise --body-limit-mb',
    logger: options.logger ?? false,
    metrics: m,
    errorBody: openAIError,
    mapError: (error) =>
      error instanceof ChatInputError || error instanceof ImageInputError
        ? { status: 400, message: error.message, field: error.field }
        : undefined,
  });
  // Requests still queued when the server closes run before it finishes closing.
  app.addHook('onClose', async () => local.batcher.drain());

  app.get('/v1/models', async () => ({
    object: 'list',
    data: [{ id: modelName, object: 'model', created, owned_by: 'r1-reward' }],
  }));

  app.get('/health', async () => ({
    status: 'ok',
    model: modelName,
    queue: local.batcher.queueDepth,
    maxSeqLen: local.maxSeqLen,
    vision: checkpoint.config.vision !== null,
  }));

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', m.registry.contentType);
    return m.registry.metrics();
  });

  const handler = async (request: FastifyRequest<{ Body: ChatCompletionBody }>, reply: FastifyReply) => {
    const body = request.body;
    if (body.model !== undefined && body.model !== modelName)
      return reply
        .code(404)
        .send(
          openAIError(
            `the model ${JSON.stringify(body.model)} does not exist here; this server serves ${JSON.stringify(modelName)} (see GET /v1/models)`,
            404,
            'body/model',
          ),
        );
    refuseUnsupported(body as unknown as Record<string, unknown>);
    const flat = flattenMessages(body.messages);
    if (flat.images.length > limits.maxImagesPerRequest)
      throw new ChatInputError(
        `${flat.images.length} images in one request; at most ${limits.maxImagesPerRequest}`,
        'body/messages',
      );
    const prompt = await local.encode(flat.text, flat.images);
    const promptTokens = prompt.tokens.length;
    if (promptTokens === 0)
      throw new ChatInputError('the messages hold no text and no image', 'body/messages');
    const room = local.maxSeqLen - promptTokens;
    if (room < 1)
      throw new ChatInputError(
        `the prompt is ${promptTokens} tokens (images included) but this model's context is ${local.maxSeqLen}; shorten the messages`,
        'body/messages',
      );
    const asked = body.max_completion_tokens ?? body.max_tokens;
    const field = body.max_completion_tokens !== undefined ? 'body/max_completion_tokens' : 'body/max_tokens';
    if (asked !== undefined && asked > room)
      throw new ChatInputError(
        `the prompt is ${promptTokens} tokens and the context ${local.maxSeqLen}, so at most ${room} new tokens fit; lower ${field.slice(5)}`,
        field,
      );
    const maxTokens = asked ?? Math.min(defaultMaxTokens, room);
    const stops = stopList(body.stop);
    const n = body.n ?? 1;

    const cancel = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) cancel.abort();
    };
    reply.raw.once('close', onClose);
    const id = `chatcmpl-${randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    // Streaming: the SSE response opens with the first token (an error before it is still a JSON
    // error), and every settled piece of text goes out as soon as it is sampled.
    const sse = body.stream ? openSse(id, now, n, stops, body.stream_options?.include_usage === true) : null;
    const onToken = sse
      ? (t: SampledToken) => {
          sse.open(reply);
          sse.token(t);
        }
      : undefined;
    m.inFlight.inc();
    let samples: Generation[];
    try {
      samples = await local.batcher.submit(
        {
          prompt,
          n,
          temperature: body.temperature ?? 1,
          topP: body.top_p ?? 1,
          maxTokens,
          stop: stops,
          seed: body.seed ?? undefined,
        },
        cancel.signal,
        onToken,
      );
    } catch (error) {
      if (sse?.opened) {
        // Headers are sent: all that is left is to end the stream (a client gone reads nothing).
        sse.out.destroy(error instanceof JobCancelledError ? undefined : (error as Error));
        return reply;
      }
      // The client left before its turn: nobody reads an answer.
      if (error instanceof JobCancelledError) return reply.code(499).send();
      throw error;
    } finally {
      reply.raw.off('close', onClose);
      m.inFlight.dec();
    }
    const completionTokens = samples.reduce((s, g) => s + g.tokenIds.length, 0);
    m.tokens.inc({ kind: 'prompt' }, promptTokens);
    m.tokens.inc({ kind: 'completion' }, completionTokens);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    const choices = toChoices(samples, stops);
    if (!sse)
      return {
        id,
        object: 'chat.completion',
        created: now,
        model: modelName,
        choices: choices.map((c) => ({
          index: c.index,
          message: { role: 'assistant', content: c.content, refusal: null },
          logprobs: null,
          finish_reason: c.finishReason,
        })),
        usage,
        system_fingerprint: null,
      };
    sse.end(usage);
    sse.open(reply);
    return reply;
  };

  /** SSE in OpenAI's chunk shapes: per choice a role chunk, a chunk per settled delta, a finish chunk. */
  function openSse(id: string, created: number, n: number, stops: readonly string[], includeUsage: boolean) {
    const out = new PassThrough();
    const decode = (ids: number[]) => checkpoint.tokenizer.decode(ids);
    const eos = checkpoint.tokenizer.id('eos');
    const contents = Array.from({ length: n }, () => new ContentStream(decode, stops, eos));
    const write = (choices: unknown[], usage?: unknown) =>
      out.write(
        `data: ${JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model: modelName,
          system_fingerprint: null,
          choices,
          ...(includeUsage ? { usage: usage ?? null } : {}),
        })}\n\n`,
      );
    const delta = (index: number, d: object, finish: string | null = null) => ({
      index,
      delta: d,
      logprobs: null,
      finish_reason: finish,
    });
    for (let i = 0; i < n; i++) write([delta(i, { role: 'assistant', content: '', refusal: null })]);
    return {
      out,
      opened: false,
      /** Sends the headers and starts piping the chunks (once). */
      open(reply: FastifyReply) {
        if (this.opened) return;
        this.opened = true;
        reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache');
        reply.send(out);
      },
      token(t: SampledToken) {
        const text = contents[t.sample]!.push(t.tokenId, t.finishReason);
        if (text) write([delta(t.sample, { content: text })]);
        if (t.finishReason) write([delta(t.sample, {}, t.finishReason === 'length' ? 'length' : 'stop')]);
      },
      end(usage: object) {
        if (includeUsage) write([], usage);
        out.end('data: [DONE]\n\n');
      },
    };
  }

  app.post('/v1/chat/completions', { schema: { body: chatBodySchema(limits) } }, handler);
  return app;
}
