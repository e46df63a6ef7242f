// `openai`: the released referee — any OpenAI-compatible chat endpoint (vLLM, SGLang, llama.cpp, …)
// asked with the released prompt whether the analysis's last lines match the final answer.
// Released settings (docs/spec.md §3): the last 3 lines of the analysis joined by ';', the answer rendered
// "response N is better", temperature 0.1, max_tokens 4096, up to 3 attempts; a reply is mapped by
// `consistencyFromReferee`, and after 3 failed attempts C = 0. Unlike the released server, an HTTP
// or network error is one failed attempt (not a crash), every attempt has a timeout, and all calls
// of this referee share one concurrency limit, so a whole batch is judged at once without flooding
// the endpoint.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import pLimit, { type LimitFunction } from 'p-limit';
import { consistencyFromReferee } from '../../algo/judgement.js';
import { nodeHttpFetch } from '../../io/http-transport.js';
import type { Referee, RefereeFailure, RefereeInput, RefereeVerdict } from './referee.js';

/**
 * Options of {@link createOpenAIReferee}: endpoint, key, model, sampling, attempts, timeout and concurrency
 * (the released defaults).
 */
export interface OpenAIRefereeOptions {
  /** The endpoint's OpenAI base URL, e.g. http://127.0.0.1:8000/v1. */
  baseURL: string;
  /** Sent as a bearer token; most local servers ignore it. Default 'EMPTY' (as released). */
  apiKey?: string;
  /** Model name; default: the first model the endpoint lists (as released), looked up once. */
  model?: string;
  /** Default 0.1 (released). */
  temperature?: number;
  /** Default 4096 (released). */
  maxTokens?: number;
  /** Attempts per judgement; default 3 (released). */
  maxAttempts?: number;
  /** Per-attempt timeout in ms; default 30 000. */
  timeoutMs?: number;
  /** Referee calls in flight at once, across every batch and request; default 256. */
  concurrency?: number;
  /** The HTTP client under the openai client; default: a keep-alive node:http fetch (src/io/http-transport.ts). */
  fetch?: typeof fetch;
}

/** The analysis's last 3 lines joined by ';' (the released referee's view of the reasoning). */
export function refereeLines(analysis: string): string {
  return analysis.trim().split('\n').slice(-3).join(';');
}

/**
 * The answer as the released referee sees it: a tag with 1 or 2 → "response N is better"; a tag
 * with another integer → "two response are the same"; a tag with other text → that text; no
 * tag → the whole judgement (which is then `analysis`).
 */
export function refereeAnswerText(input: RefereeInput): string {
  if (input.answer === null) return input.analysis;
  if (!/^[+-]?\d+$/.test(input.answer)) return input.answer;
  const n = Number(input.answer);
  return n === 1 || n === 2 ? `response ${n} is better` : 'two response are the same';
}

/**
 * The released referee prompt, byte for byte. It begins with a newline, has two spaces after
 * "Model's Response", and contains the two characters backslash + 'n' (not newlines) around the
 * inserted text, because the released Python f-string escaped them; they are kept so a referee
 * sees exactly what the released one saw.
 */
export function releasedRefereePrompt(lines: string, answer: string): string {
  return (
    "\nYou are a strict judge with one task: Determine if the Model's Response  exactly matches the model' Answer.\n" +
    '\n' +
    '# Rules:\n' +
    "1. Output 1 when model's response and answer have the same meaning.\n" +
    '2. Output 0 when the model answer and response mismatch:\n' +
    '   - Ambiguous conclusion without clear choice\n' +
    '   - Choice direction opposite to answer\n' +
    '   - Approving both answers equally\n' +
    '\n' +
    '\n' +
    `######### Model's Response #########\\n ${lines} \\n\\n\n` +
    `######### Model's Answer#########\\n ${answer}\\n\\n\n` +
    'Output: \n'
  );
}

function classify(error: unknown): { failure: RefereeFailure; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof APIUserAbortError) return { failure: 'deadline', message };
  if (error instanceof APIConnectionTimeoutError) return { failure: 'timeout', message };
  if (error instanceof APIConnectionError) return { failure: 'network', message };
  if (error instanceof APIError) return { failure: 'http', message };
  return { failure: 'internal', message };
}

/**
 * A consistency referee behind an OpenAI-compatible endpoint, asked with the released prompt whether the
 * analysis supports the answer; failures become C = 0 with a reason, never an exception.
 */
export function createOpenAIReferee(options: OpenAIRefereeOptions): Referee {
  const {
    baseURL,
    apiKey = 'EMPTY',
    temperature = 0.1,
    maxTokens = 4096,
    maxAttempts = 3,
    timeoutMs = 30_000,
    concurrency = 256,
  } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  // Retries are ours (one attempt = one call), so the client itself never retries.
  const client = new OpenAI({
    baseURL,
    apiKey,
    maxRetries: 0,
    timeout: timeoutMs,
    fetch: options.fetch ?? nodeHttpFetch,
  });
  const limit: LimitFunction = pLimit(concurrency);
  let model: Promise<string> | null = options.model ? Promise.resolve(options.model) : null;

  const resolveModel = (signal?: AbortSignal): Promise<string> => {
    if (model) return model;
    const lookup = client.models.list({ signal, timeout: timeoutMs }).then((page) => {
      const id = page.data[0]?.id;
      if (!id) throw new Error(`${baseURL} lists no models; pass the referee model name (--referee-model)`);
      return id;
    });
    model = lookup;
    lookup.catch(() => {
      if (model === lookup) model = null; // look up again on the next attempt
    });
    return lookup;
  };

  const judgeNow = async (input: RefereeInput, signal?: AbortSignal): Promise<RefereeVerdict> => {
    const start = performance.now();
    const prompt = releasedRefereePrompt(refereeLines(input.analysis), refereeAnswerText(input));
    let reply: string | null = null;
    let last: { failure: RefereeFailure; message: string } = { failure: 'garbage', message: '' };
    let attempts = 0;
    while (attempts < maxAttempts) {
      if (signal?.aborted) {
        last = { failure: 'deadline', message: 'the deadline passed before a verdict' };
        break;
      }
      attempts++;
      try {
        const completion = await client.chat.completions.create(
          {
            model: await resolveModel(signal),
            messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
            temperature,
            max_tokens: maxTokens,
          },
          { signal, timeout: timeoutMs },
        );
        reply = completion.choices[0]?.message?.content ?? '';
        const consistency = consistencyFromReferee(reply);
        if (consistency !== 0)
          return { consistency, reply, attempts, latencyMs: performance.now() - start, failure: null };
        last = {
          failure: 'garbage',
          message: `reply has neither 0 nor 1: ${JSON.stringify(reply.slice(0, 200))}`,
        };
      } catch (error) {
        last = classify(error);
        if (last.failure === 'deadline') break;
      }
    }
    return {
      consistency: 0,
      reply,
      attempts,
      latencyMs: performance.now() - start,
      failure: last.failure,
      failureMessage: last.message,
    };
  };

  return {
    name: baseURL,
    judge(input, signal) {
      return limit(() => judgeNow(input, signal));
    },
    load: () => ({ active: limit.activeCount, pending: limit.pendingCount }),
  };
}
