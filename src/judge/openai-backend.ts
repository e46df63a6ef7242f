// A judge behind any OpenAI-compatible chat endpoint (vLLM, SGLang, llama.cpp, OpenAI) through the
// official `openai` client.
//
// What the client already does well, and is used as is: per-request timeout; retries of
// connection errors, timeouts, 408/409/429/5xx with exponential backoff (0.5 s doubling to 8 s,
// up to 25 % jitter) that honours `retry-after` and `retry-after-ms`.
// What this file adds: retries of a 200 reply that is not a chat completion (a body that is not
// JSON, or no choices), treated like a 5xx with the same backoff; a bounded number of requests in
// flight (p-limit); several base URLs balanced by fewest requests in flight with fail-over once a
// URL's retries are spent; and `n = k` in one request with a fallback to single requests when a
// server rejects or ignores `n`.
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import type { ChatCompletionContentPart } from 'openai/resources/chat/completions';
import pLimit, { type LimitFunction } from 'p-limit';
import { R1RewardError } from '../errors.js';
import { nodeHttpFetch } from '../io/http-transport.js';
import {
  DEFAULT_SAMPLING,
  type JudgeBackend,
  type JudgeRequest,
  type SampleOptions,
  type SamplingConfig,
} from './backend.js';

/**
 * Configuration of {@link OpenAICompatibleBackend}: servers, model, sampling, concurrency, retries and
 * timeouts.
 */
export interface OpenAIBackendConfig extends Partial<SamplingConfig> {
  /** One or more base URLs, e.g. http://127.0.0.1:8000/v1; requests are spread over them. */
  baseURLs: readonly string[];
  model: string;
  /** Name of the environment variable holding the API key (default OPENAI_API_KEY); unset → "EMPTY", as vLLM expects. */
  apiKeyEnv?: string;
  /** Most HTTP requests in flight over all base URLs (default 16). */
  concurrency?: number;
  /** Retries per request inside the client, per base URL (default 4). */
  maxRetries?: number;
  /** Per-request timeout in milliseconds (default 10 minutes; long reasoning at 4096 tokens is slow). */
  timeoutMs?: number;
  /** `auto` (default): try n = k, fall back when rejected or ignored; `never`: always k single requests. */
  useN?: 'auto' | 'never';
  /** `node-http` (default): node:http with keep-alive, half the CPU per request; `fetch`: Node's built-in fetch. */
  transport?: 'node-http' | 'fetch';
}

interface Endpoint {
  baseURL: string;
  client: OpenAI;
  inFlight: number;
}

/** A 2xx reply that is not a chat completion: a truncated or garbled body, or no choices. */
/** A 200 reply that is not a chat completion (not JSON, or no choices): retried like a 5xx, then failed over. */
export class MalformedReplyError extends R1RewardError {
  override name = 'MalformedReplyError';
  constructor(message: string) {
    super('malformed_reply', message);
  }
}

/** The client's backoff: 0.5 s doubling to 8 s, up to 25 % less (jitter). */
function backoffMs(retry: number): number {
  return Math.min(500 * 2 ** (retry - 1), 8000) * (1 - 0.25 * Math.random());
}

/** Errors another server might not give: connection failures, timeouts, 408/409/429/5xx, malformed replies. */
function isRetryable(error: unknown): boolean {
  if (error instanceof OpenAI.APIUserAbortError) return false;
  if (error instanceof MalformedReplyError) return true;
  if (error instanceof OpenAI.APIConnectionError) return true;
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    return status === 408 || status === 409 || status === 429 || status >= 500;
  }
  return false;
}

/** A 400/422 answer to a request that asked for n > 1: the server may not support `n`. */
function mayRejectN(error: unknown): boolean {
  return error instanceof OpenAI.APIError && (error.status === 400 || error.status === 422);
}

/** Servers with a reasoning parser (vLLM --reasoning-parser) split <think> out; put it back. */
function completionText(message: { content?: string | null } | undefined): string {
  const reasoning = (message as { reasoning_content?: unknown } | undefined)?.reasoning_content;
  const content = message?.content ?? '';
  return typeof reasoning === 'string' && reasoning.length > 0
    ? `<think>${reasoning}</think>${content}`
    : content;
}

/**
 * A judge behind any OpenAI-compatible chat endpoint (vLLM, SGLang, llama.cpp, OpenAI) through the official
 * `openai` client: bounded concurrency, several base URLs balanced with fail-over, retries honouring
 * retry-after, and `n = k` in one request with a fallback to k requests.
 */
export class OpenAICompatibleBackend implements JudgeBackend {
  readonly identity: string;
  /** Whether the servers honour `n`: unknown until the first request with k > 1 says so. */
  nSupport: 'unknown' | 'yes' | 'no';
  private readonly endpoints: Endpoint[];
  private readonly limit: LimitFunction;
  private readonly sampling: SamplingConfig;
  private readonly model: string;
  private readonly maxRetries: number;
  private next = 0;

  constructor(config: OpenAIBackendConfig) {
    if (config.baseURLs.length === 0)
      throw new Error('the OpenAI-compatible backend needs at least one base URL (--endpoint URL)');
    if (!config.model)
      throw new Error(
        'the OpenAI-compatible backend needs a model name (--model-name NAME, as the server lists it at /v1/models)',
      );
    const concurrency = config.concurrency ?? 16;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
    this.sampling = {
      temperature: config.temperature ?? DEFAULT_SAMPLING.temperature,
      topP: config.topP ?? DEFAULT_SAMPLING.topP,
      maxTokens: config.maxTokens ?? DEFAULT_SAMPLING.maxTokens,
    };
    this.model = config.model;
    this.maxRetries = config.maxRetries ?? 4;
    const apiKeyEnv = config.apiKeyEnv ?? 'OPENAI_API_KEY';
    const apiKey = process.env[apiKeyEnv] || 'EMPTY';
    this.endpoints = config.baseURLs.map((baseURL) => {
      try {
        new URL(baseURL);
      } catch {
        throw new Error(
          `endpoint ${JSON.stringify(baseURL)} is not a URL; give e.g. http://127.0.0.1:8000/v1`,
        );
      }
      const client = new OpenAI({
        baseURL,
        apiKey,
        maxRetries: this.maxRetries,
        timeout: config.timeoutMs ?? 600_000,
        ...(config.transport === 'fetch' ? {} : { fetch: nodeHttpFetch }),
      });
      return { baseURL, client, inFlight: 0 };
    });
    this.limit = pLimit(concurrency);
    this.nSupport = config.useN === 'never' ? 'no' : 'unknown';
    this.identity = JSON.stringify({ backend: 'openai', model: this.model, ...this.sampling });
  }

  /** Most requests this backend keeps in flight. */
  get concurrency(): number {
    return this.limit.concurrency;
  }

  async sample(request: JudgeRequest, k: number, options: SampleOptions = {}): Promise<string[]> {
    if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
    const messages = [{ role: 'user' as const, content: toContent(request) }];
    if (k > 1 && this.nSupport !== 'no') {
      let first: string[];
      try {
        first = await this.complete(messages, k, options.signal);
      } catch (error) {
        if (!mayRejectN(error)) throw error;
        // Ask once without n: if that works, the server rejected n itself.
        first = await this.complete(messages, 1, options.signal);
        this.nSupport = 'no';
      }
      if (first.length >= k) {
        this.nSupport = 'yes';
        return first.slice(0, k);
      }
      this.nSupport = 'no'; // the server ignored n (llama.cpp does): draw the rest one by one
      const rest = await Promise.all(
        Array.from({ length: k - first.length }, () => this.complete(messages, 1, options.signal)),
      );
      return [...first, ...rest.flat()];
    }
    const all = await Promise.all(
      Array.from({ length: k }, () => this.complete(messages, 1, options.signal)),
    );
    return all.flat();
  }

  async close(): Promise<void> {
    this.limit.clearQueue();
  }

  /** One HTTP request under the concurrency limit, failing over to the other base URLs. */
  private complete(
    messages: { role: 'user'; content: ChatCompletionContentPart[] }[],
    n: number,
    signal: AbortSignal | undefined,
  ): Promise<string[]> {
    return this.limit(async () => {
      const tried = new Set<Endpoint>();
      // The client retries statuses itself; a malformed 200 is retried here, as often per endpoint.
      const malformed = new Map<Endpoint, number>();
      for (;;) {
        signal?.throwIfAborted();
        const endpoint = this.pick(tried);
        tried.add(endpoint);
        endpoint.inFlight++;
        let retryAfterMs: number | undefined;
        try {
          return await this.completeOnce(endpoint, messages, n, signal);
        } catch (error) {
          const count = (malformed.get(endpoint) ?? 0) + 1;
          if (error instanceof MalformedReplyError && count <= this.maxRetries) {
            malformed.set(endpoint, count);
            tried.delete(endpoint);
            retryAfterMs = backoffMs(count);
          } else if (!isRetryable(error) || tried.size === this.endpoints.length)
            throw withEndpoint(error, endpoint.baseURL);
        } finally {
          endpoint.inFlight--;
        }
        if (retryAfterMs !== undefined) await sleep(retryAfterMs, undefined, signal ? { signal } : {});
      }
    });
  }

  /** One request to one endpoint; a reply that is not a chat completion throws MalformedReplyError. */
  private async completeOnce(
    endpoint: Endpoint,
    messages: { role: 'user'; content: ChatCompletionContentPart[] }[],
    n: number,
    signal: AbortSignal | undefined,
  ): Promise<string[]> {
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await endpoint.client.chat.completions.create(
        {
          model: this.model,
          messages,
          temperature: this.sampling.temperature,
          top_p: this.sampling.topP,
          max_tokens: this.sampling.maxTokens,
          ...(n > 1 ? { n } : {}),
        },
        signal ? { signal } : {},
      );
    } catch (error) {
      // The client parses a JSON content type with response.json(): a garbled body is a SyntaxError.
      if (error instanceof SyntaxError)
        throw new MalformedReplyError(`the reply was not valid JSON (${error.message})`);
      throw error;
    }
    if (!Array.isArray(completion?.choices) || completion.choices.length === 0)
      throw new MalformedReplyError('the reply holds no choices');
    return completion.choices.map((choice) => completionText(choice.message));
  }

  /** The untried endpoint with the fewest requests in flight; round robin among equals. */
  private pick(tried: Set<Endpoint>): Endpoint {
    let best: Endpoint | undefined;
    const count = this.endpoints.length;
    for (let i = 0; i < count; i++) {
      const endpoint = this.endpoints[(this.next + i) % count]!;
      if (tried.has(endpoint)) continue;
      if (!best || endpoint.inFlight < best.inFlight) best = endpoint;
    }
    this.next = (this.next + 1) % count;
    return best!;
  }
}

function toContent(request: JudgeRequest): ChatCompletionContentPart[] {
  return [
    ...request.images.map((url) => ({ type: 'image_url' as const, image_url: { url } })),
    { type: 'text' as const, text: request.text },
  ];
}

function withEndpoint(error: unknown, baseURL: string): unknown {
  if (error instanceof Error && !error.message.includes(baseURL))
    error.message = `${baseURL}: ${error.message}`;
  return error;
}
