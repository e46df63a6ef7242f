// A real HTTP server on 127.0.0.1 that plays an OpenAI-compatible referee (GET /v1/models,
// POST /v1/chat/completions). Tests and bench/serve point the real `openai` client at it; its
// behaviour (reply, hold, delay, HTTP status) can be changed between calls. Tests hold completions at
// its gate until they release them; the fixed delay is for bench/serve's latency runs.
// Run directly (`tsx test/reward/loopback-referee.ts --delay-ms 50 --reply 1`) it prints its port
// and serves until killed — bench/serve runs it in its own process.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { Gate } from '../judge/gate.js';

export interface LoopbackBehaviour {
  /** Text of the assistant reply, or a function of the request body. */
  reply: string | ((body: ChatBody) => string);
  /** Hold every completion at `gate` until the test releases it. */
  hold: boolean;
  /** Wait this long before answering a completion (benchmarks; tests hold instead). */
  delayMs: number;
  /** Answer completions with this HTTP status and an error body instead (e.g. 500). */
  status: number;
  models: string[];
  /** Keep every request body in `received` (off for long benchmark runs). */
  record: boolean;
}

export interface ChatBody {
  model: string;
  temperature?: number;
  max_tokens?: number;
  messages: { role: string; content: string | { type: string; text: string }[] }[];
}

export interface LoopbackReferee {
  url: string;
  behaviour: LoopbackBehaviour;
  /** Every completion body received, in order. */
  received: ChatBody[];
  /** Completions being answered now, and the most ever at once. */
  inFlight: number;
  maxInFlight: number;
  /** Where held completions wait (`behaviour.hold`); closing releases them. */
  gate: Gate;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startLoopbackReferee(
  behaviour: Partial<LoopbackBehaviour> = {},
): Promise<LoopbackReferee> {
  const state: LoopbackReferee = {
    url: '',
    behaviour: {
      reply: '1',
      hold: false,
      delayMs: 0,
      status: 200,
      models: ['loopback-referee'],
      record: true,
      ...behaviour,
    },
    received: [],
    inFlight: 0,
    maxInFlight: 0,
    gate: new Gate(),
    close: async () => {},
  };
  const server: Server = createServer(async (request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && request.url === '/v1/models') {
      send(200, {
        object: 'list',
        data: state.behaviour.models.map((id) => ({ id, object: 'model', owned_by: 'test' })),
      });
      return;
    }
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      send(404, { error: { message: `no route ${request.method} ${request.url}` } });
      return;
    }
    const body = JSON.parse(await readBody(request)) as ChatBody;
    if (state.behaviour.record) state.received.push(body);
    // In flight until answered or until the client hangs up (an aborted call no longer counts).
    let open = true;
    const finish = () => {
      if (open) state.inFlight--;
      open = false;
    };
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    response.once('close', finish);
    if (state.behaviour.hold) await state.gate.enter();
    const { delayMs, status, reply } = state.behaviour;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    finish();
    if (response.destroyed) return;
    if (status !== 200) {
      send(status, { error: { message: 'loopback referee failure', type: 'server_error' } });
      return;
    }
    send(200, {
      id: `chatcmpl-${state.received.length}`,
      object: 'chat.completion',
      created: 0,
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: typeof reply === 'function' ? reply(body) : reply },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      state.gate.release();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** A loopback port with nothing listening on it: a referee that is "down". */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1]! : fallback;
  };
  const referee = await startLoopbackReferee({
    delayMs: Number(arg('--delay-ms', '50')),
    reply: arg('--reply', '1'),
    record: false,
  });
  console.log(JSON.stringify({ url: referee.url }));
  process.on('SIGTERM', () => void referee.close().then(() => process.exit(0)));
}
