// A real HTTP server on 127.0.0.1 that plays an OpenAI-compatible judge by rules the test controls:
// it prefers the response containing GOOD, answers malformed text when the question says so, can
// hold requests until the test releases them (a gate: no timing in the tests), rate-limit (429 +
// retry-after), fail (500), or reject / ignore `n`; a fixed latency is for the speed benchmarks.
// Used by the tests and by bench/runner (not a mocked client: the real openai client talks to it).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gate } from './gate.js';

export interface ChatBody {
  model: string;
  n?: number;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  messages: {
    role: string;
    content: ({ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } })[];
  }[];
}

/** What the server does with one request: answer texts, or an HTTP error. */
export type Reply =
  | { texts: string[] }
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { status: number; raw: string };

export interface ScriptedJudgeOptions {
  /** Fixed delay before every answer (bench/runner's throughput runs; tests hold requests instead). */
  latencyMs?: number;
  /**
   * Holds every request for which this returns true (all requests with `true`) until the test calls
   * `release` or `open`; `whenHeld` says when they have arrived.
   */
  hold?: boolean | ((body: ChatBody) => boolean);
  /** 400 for any request with n > 1 (as some servers do). */
  rejectN?: boolean;
  /** Answer one choice whatever n says (as llama.cpp does). */
  ignoreN?: boolean;
  /**
   * Faults served to the next requests, one per request, before normal answers resume; `raw` sends
   * that body verbatim as application/json (e.g. a 200 whose body is not valid JSON).
   */
  faults?: { status: number; retryAfter?: string; raw?: string }[];
  /** Which response the judge prefers: the one containing GOOD (default), or the longer one (ties: 1). */
  prefer?: 'good' | 'longer';
  /** Pads every analysis to about this many characters (realistic response sizes for benchmarks). */
  thinkChars?: number;
  /** Overrides the whole reply. */
  script?: (body: ChatBody, requestIndex: number) => Reply | undefined;
}

export interface ScriptedJudge {
  url: string;
  /** Requests received, in arrival order, with their arrival time (ms since start). */
  log: { body: ChatBody; at: number; status: number; authorization: string | undefined }[];
  maxInFlight: number;
  /** Requests held now (arrived, not yet released). */
  readonly held: number;
  /** Resolves once at least `count` requests are held. */
  whenHeld(count: number): Promise<void>;
  /** Answers the first `count` held requests in arrival order (all of them by default). */
  release(count?: number): void;
  /** Stops holding: releases every held request and answers later ones at once. */
  open(): void;
  close(): Promise<void>;
}

/** The prompt text of a request (the last text part of the user turn). */
export function promptText(body: ChatBody): string {
  const parts = body.messages[0]?.content ?? [];
  return [...parts].reverse().find((p) => p.type === 'text')?.text ?? '';
}

/** Text between a section header of the R1-Reward prompt and the next header. */
function section(prompt: string, header: string): string {
  const start = prompt.indexOf(header);
  if (start < 0) return '';
  const rest = prompt.slice(start + header.length);
  const end = rest.indexOf('######');
  return end < 0 ? rest : rest.slice(0, end);
}

/**
 * The default judge rule, sample `index` of a request:
 * - the question contains MALFORMED → text with no answer tag and no digit 1/2 (unparseable);
 * - the question contains FALLBACK → no tags, ends with the right digit (the last-digit fallback);
 * - the question contains SPLIT → the samples of one request alternate right and wrong (right first);
 * - otherwise `<think>…</think><answer>N</answer>` picking the response that contains GOOD
 *   (or, with prefer 'longer', the longer response).
 */
export function ruleAnswer(
  prompt: string,
  index: number,
  thinkChars = 0,
  prefer: 'good' | 'longer' = 'good',
): string {
  const question = section(prompt, '[Question]:');
  const [one, two] = [section(prompt, '[Response 1]:'), section(prompt, '[Response 2]:')];
  const right = prefer === 'longer' ? (one.length >= two.length ? 1 : 2) : one.includes('GOOD') ? 1 : 2;
  if (question.includes('MALFORMED')) return 'I refuse to compare these.';
  if (question.includes('FALLBACK')) return `Comparing both, the better is Response ${right}`;
  const pick = question.includes('SPLIT') && index % 2 === 1 ? 3 - right : right;
  const analysis = `Response ${pick} is grounded in the image.`;
  const padding =
    thinkChars > analysis.length
      ? ' The other one is not.'.repeat(Math.ceil((thinkChars - analysis.length) / 22))
      : '';
  return `<think>${analysis}${padding}</think><answer>${pick}</answer>`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startScriptedJudge(options: ScriptedJudgeOptions = {}): Promise<ScriptedJudge> {
  const faults = [...(options.faults ?? [])];
  const started = performance.now();
  let inFlight = 0;
  let hold = options.hold ?? false;
  const gate = new Gate();
  const judge: ScriptedJudge = {
    url: '',
    log: [],
    maxInFlight: 0,
    get held() {
      return gate.held;
    },
    whenHeld: (count) => gate.whenHeld(count),
    release: (count) => gate.release(count),
    open: () => {
      hold = false;
      gate.release();
    },
    close: async () => {},
  };

  const server: Server = createServer(async (req, res) => {
    inFlight++;
    judge.maxInFlight = Math.max(judge.maxInFlight, inFlight);
    try {
      const body = JSON.parse(await readBody(req)) as ChatBody;
      const entry = {
        body,
        at: performance.now() - started,
        status: 200,
        authorization: req.headers.authorization,
      };
      judge.log.push(entry);
      if (hold === true || (typeof hold === 'function' && hold(body))) await gate.enter();
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      const n = body.n ?? 1;
      const fault = faults.shift();
      let reply: Reply | undefined = options.script?.(body, judge.log.length - 1);
      if (!reply && fault?.raw !== undefined) reply = { status: fault.status, raw: fault.raw };
      if (!reply && fault)
        reply = {
          status: fault.status,
          headers: fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
          body: { error: { message: `scripted ${fault.status}` } },
        };
      if (!reply && options.rejectN && n > 1)
        reply = { status: 400, body: { error: { message: "'n' is not supported", param: 'n' } } };
      if (!reply) {
        const prompt = promptText(body);
        const count = options.ignoreN ? 1 : n;
        reply = {
          texts: Array.from({ length: count }, (_, i) =>
            ruleAnswer(prompt, i, options.thinkChars, options.prefer),
          ),
        };
      }
      if ('texts' in reply) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `chatcmpl-${judge.log.length}`,
            object: 'chat.completion',
            created: 0,
            model: body.model,
            choices: reply.texts.map((content, index) => ({
              index,
              message: { role: 'assistant', content },
              finish_reason: 'stop',
            })),
          }),
        );
      } else if ('raw' in reply) {
        entry.status = reply.status;
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.raw);
      } else {
        entry.status = reply.status;
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify(reply.body ?? { error: { message: `scripted ${reply.status}` } }));
      }
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error) } }));
    } finally {
      inFlight--;
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  judge.url = `http://127.0.0.1:${port}/v1`;
  judge.close = () =>
    new Promise<void>((resolve) => {
      judge.open();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return judge;
}
