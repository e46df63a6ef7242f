// `serve --model` while a batch runs: /health and /metrics answer between decode steps, SSE chunks
// leave as tokens are sampled (official openai client), and a client that disconnects stops its own
// samples — and the batch when nobody else is left — without disturbing the others. The model's
// decode steps are counted to order events without timing anything.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { type LoadedCheckpoint, loadCheckpoint } from '../../src/model/index.js';
import { buildChatServer } from '../../src/serve/chat-server.js';
import { writeTinyCheckpoint } from './tiny-checkpoint.js';

let checkpoint: LoadedCheckpoint;
let app: FastifyInstance;
let url: string;
let client: OpenAI;
/** Decode steps the model has run so far (every batch, every request). */
let steps = 0;

before(async () => {
  checkpoint = loadCheckpoint(writeTinyCheckpoint());
  const step = checkpoint.model.step.bind(checkpoint.model);
  checkpoint.model.step = (cache, tokens) => {
    steps++;
    return step(cache, tokens);
  };
  app = await buildChatServer({ checkpoint, modelName: 'tiny-judge', batchWindowMs: 20 });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(() => app.close());

// 16 samples of up to 220 tokens: with random weights (end of sequence ≈ 1 in 300 tokens) the batch
// runs about 220 decode steps, long enough to talk to the server in between.
const long = {
  model: 'tiny-judge',
  messages: [{ role: 'user' as const, content: 'hi' }],
  max_tokens: 220,
  n: 16,
  temperature: 1,
};

const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

/** Waits until the server has let every request go (asks /metrics, a condition rather than a delay). */
async function requestsLeft(): Promise<void> {
  for (;;) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    if (metric(metrics, 'r1_serve_requests_in_flight') === 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The batch of a request that has left ran `ran` steps and runs no more: the model runs one batch at
 * a time, so a one-token request sent now would wait behind a batch still running; it takes only its
 * own single step. And the batch stopped before its last step (219 of a full run).
 */
async function assertBatchStopped(ran: number): Promise<void> {
  const before = steps;
  const probe = await client.chat.completions.create({ ...long, n: 1, max_tokens: 1, temperature: 0 });
  assert.equal(probe.usage!.completion_tokens, 1);
  assert.ok(steps - before <= 1, `${steps - before} decode steps ran for a one-token request`);
  assert.ok(ran < 219, `the batch stopped early (${ran} of up to 219 steps)`);
}

describe('serve --model during a batch', () => {
  it('streams chunks as tokens are sampled, and answers /health and /metrics meanwhile', async () => {
    const before = steps;
    const stream = await client.chat.completions.create({ ...long, stream: true });
    const stepsAtChunk: number[] = [];
    let health: { status: string } | undefined;
    let metrics = '';
    let stepsAtHealth = -1;
    const content: string[] = Array.from({ length: 16 }, () => '');
    for await (const chunk of stream) {
      for (const c of chunk.choices) content[c.index] += c.delta.content ?? '';
      if (!chunk.choices.some((c) => c.delta.content)) continue;
      stepsAtChunk.push(steps - before);
      if (!health) {
        health = (await (await fetch(`${url}/health`)).json()) as { status: string };
        metrics = await (await fetch(`${url}/metrics`)).text();
        stepsAtHealth = steps - before;
      }
    }
    const total = steps - before;
    assert.equal(health?.status, 'ok');
    assert.equal(metric(metrics, 'r1_serve_requests_in_flight'), 1, '/metrics answered mid-request');
    assert.ok(stepsAtHealth < total, `health answered at step ${stepsAtHealth} of ${total}`);
    assert.ok(stepsAtChunk[0]! < total / 4, `the first chunk came at step ${stepsAtChunk[0]} of ${total}`);
    assert.ok(new Set(stepsAtChunk).size > 20, 'chunks left at many different steps');
    assert.ok(content.some((c) => c.length > 0));
  });

  it('streams up to a stop string without ever sending part of it', async () => {
    const ask = { ...long, n: 1, max_tokens: 60, seed: 3 };
    const free = (await client.chat.completions.create(ask)).choices[0]!.message.content!;
    // A stop string from the middle of the free answer (3 characters, so it spans tokens' edges).
    const stop = free.slice(20, 23);
    assert.equal(stop.length, 3, `the seeded answer is long enough: ${JSON.stringify(free)}`);
    const plain = await client.chat.completions.create({ ...ask, stop: [stop] });
    const stream = await client.chat.completions.create({ ...ask, stop: [stop], stream: true });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    assert.equal(content, plain.choices[0]!.message.content);
    assert.equal(content, free.slice(0, free.indexOf(stop)));
    assert.equal(plain.choices[0]!.finish_reason, 'stop');
  });

  it('a client that disconnects stops its samples; a request batched with it goes on', async () => {
    const before = steps;
    const kept = client.chat.completions.create({ ...long, n: 1, max_tokens: 200 });
    const gone = await client.chat.completions.create({ ...long, n: 1, max_tokens: 200, stream: true });
    let chunks = 0;
    for await (const chunk of gone) {
      if (chunk.choices[0]?.delta.content && ++chunks === 3) break; // closes the connection
    }
    const answer = await kept;
    const tokens = answer.usage!.completion_tokens;
    assert.ok(tokens >= 1 && tokens <= 200);
    if (answer.choices[0]!.finish_reason === 'length') assert.equal(tokens, 200);
    assert.ok(steps - before <= 200, 'one shared batch');
  });

  it('stops the batch when its only client disconnects', async () => {
    const before = steps;
    const stream = await client.chat.completions.create({ ...long, stream: true });
    let chunks = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content && ++chunks === 2) break;
    await requestsLeft();
    await assertBatchStopped(steps - before);
  });

  it('stops a plain (non-streaming) request whose client leaves mid-batch', async () => {
    const before = steps;
    const controller = new AbortController();
    const request = fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(long),
      signal: controller.signal,
    });
    while (steps - before < 3) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(request, /abort/i);
    await requestsLeft();
    await assertBatchStopped(steps - before);
  });
});
