import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { OpenAICompatibleBackend } from '../../src/judge/openai-backend.js';
import { type ScriptedJudge, startScriptedJudge } from './scripted-judge.js';

const request = {
  images: ['data:image/png;base64,iVBORw0KGgo='],
  text: '###### [Question]:\nWhat is shown?  \n\n###### [Response 1]:\nA GOOD cat.  \n\n###### [Response 2]:\nA dog.  \n\n######',
};
const servers: ScriptedJudge[] = [];
async function judgeServer(options: Parameters<typeof startScriptedJudge>[0] = {}) {
  const server = await startScriptedJudge(options);
  servers.push(server);
  return server;
}
after(() => Promise.all(servers.map((s) => s.close())));

describe('OpenAICompatibleBackend against a scripted HTTP judge on 127.0.0.1', () => {
  it('sends images first as data URLs, the sampling settings, and n = k in one request', async () => {
    const server = await judgeServer();
    const backend = new OpenAICompatibleBackend({
      baseURLs: [server.url],
      model: 'r1',
      temperature: 0.7,
      topP: 0.9,
      maxTokens: 123,
    });
    const texts = await backend.sample(request, 5);
    assert.equal(texts.length, 5);
    assert.ok(texts.every((t) => t.endsWith('<answer>1</answer>')));
    assert.equal(server.log.length, 1);
    const body = server.log[0]!.body;
    assert.equal(body.n, 5);
    assert.equal(body.temperature, 0.7);
    assert.equal(body.top_p, 0.9);
    assert.equal(body.max_tokens, 123);
    assert.deepEqual(
      body.messages[0]!.content.map((p) => p.type),
      ['image_url', 'text'],
    );
    assert.equal(backend.nSupport, 'yes');
  });

  it("works the same through Node's built-in fetch (transport: fetch)", async () => {
    const server = await judgeServer({ rejectN: true });
    const backend = new OpenAICompatibleBackend({ baseURLs: [server.url], model: 'r1', transport: 'fetch' });
    assert.equal((await backend.sample(request, 2)).length, 2);
    assert.equal(backend.nSupport, 'no');
  });

  it('reads the API key from the named environment variable', async () => {
    const server = await judgeServer();
    process.env.R1_TEST_KEY = 'sk-scripted';
    const backend = new OpenAICompatibleBackend({
      baseURLs: [server.url],
      model: 'r1',
      apiKeyEnv: 'R1_TEST_KEY',
    });
    await backend.sample(request, 1);
    delete process.env.R1_TEST_KEY;
    assert.equal(server.log[0]!.authorization, 'Bearer sk-scripted');
  });

  it('falls back to k single requests when the server rejects n, and remembers it', async () => {
    const server = await judgeServer({ rejectN: true });
    const backend = new OpenAICompatibleBackend({ baseURLs: [server.url], model: 'r1', maxRetries: 0 });
    assert.equal((await backend.sample(request, 3)).length, 3);
    assert.deepEqual(
      server.log.map((e) => [e.body.n ?? 1, e.status]),
      [
        [3, 400],
        [1, 200],
        [1, 200],
        [1, 200],
      ],
    );
    assert.equal(backend.nSupport, 'no');
    assert.equal((await backend.sample(request, 2)).length, 2);
    assert.equal(server.log.length, 6, 'no second try of n once rejected');
  });

  it('draws the missing samples one by one when the server ignores n', async () => {
    const server = await judgeServer({ ignoreN: true });
    const backend = new OpenAICompatibleBackend({ baseURLs: [server.url], model: 'r1' });
    assert.equal((await backend.sample(request, 4)).length, 4);
    assert.equal(server.log.length, 4);
    assert.equal(backend.nSupport, 'no');
  });

  it('retries a 429 after the retry-after the server asked for, and a 500 with backoff', async () => {
    const server = await judgeServer({ faults: [{ status: 429, retryAfter: '0.3' }, { status: 500 }] });
    const backend = new OpenAICompatibleBackend({ baseURLs: [server.url], model: 'r1', maxRetries: 3 });
    assert.equal((await backend.sample(request, 1)).length, 1);
    assert.deepEqual(
      server.log.map((e) => e.status),
      [429, 500, 200],
    );
    // retry-after honoured: the second request came no earlier than 0.3 s after the first
    assert.ok(
      server.log[1]!.at - server.log[0]!.at >= 290,
      `gap ${server.log[1]!.at - server.log[0]!.at} ms`,
    );
  });

  it('gives up after maxRetries with an error naming the endpoint and status', async () => {
    const server = await judgeServer({ faults: [{ status: 500 }, { status: 500 }] });
    const backend = new OpenAICompatibleBackend({ baseURLs: [server.url], model: 'r1', maxRetries: 1 });
    await assert.rejects(
      backend.sample(request, 1),
      (e: Error) => e.message.includes(server.url) && /500/.test(e.message),
    );
    assert.equal(server.log.length, 2);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    // Held until released one at a time, each time once three have arrived: a fourth request sent
    // early would be held beside them.
    const server = await judgeServer({ hold: true });
    const backend = new OpenAICompatibleBackend({ baseURLs: [server.url], model: 'r1', concurrency: 3 });
    const all = Promise.all(Array.from({ length: 12 }, () => backend.sample(request, 1)));
    for (let released = 0; released < 12; released++) {
      await server.whenHeld(Math.min(3, 12 - released));
      server.release(1);
    }
    await all;
    assert.equal(server.log.length, 12);
    assert.equal(server.maxInFlight, 3);
  });

  it('spreads requests over several base URLs and fails over from a dead one', async () => {
    // The first eight requests are held where they land: the fewest in flight wins, so four each.
    const a = await judgeServer({ hold: true });
    const b = await judgeServer({ hold: true });
    const backend = new OpenAICompatibleBackend({ baseURLs: [a.url, b.url], model: 'r1', concurrency: 8 });
    const all = Promise.all(Array.from({ length: 16 }, () => backend.sample(request, 1)));
    await Promise.all([a.whenHeld(4), b.whenHeld(4)]);
    assert.deepEqual([a.held, b.held], [4, 4]);
    a.open();
    b.open();
    await all;
    assert.equal(a.log.length + b.log.length, 16);
    assert.ok(a.log.length >= 4 && b.log.length >= 4, `split ${a.log.length}/${b.log.length}`);

    const dead = await startScriptedJudge();
    await dead.close();
    const failover = new OpenAICompatibleBackend({ baseURLs: [dead.url, b.url], model: 'r1', maxRetries: 0 });
    const before = b.log.length;
    const results = await Promise.all(Array.from({ length: 4 }, () => failover.sample(request, 1)));
    assert.equal(results.flat().length, 4);
    assert.equal(b.log.length - before, 4);
  });

  it('times out a request the server never answers (per-request timeout) and reports it', async () => {
    const server = await judgeServer({ hold: true });
    const backend = new OpenAICompatibleBackend({
      baseURLs: [server.url],
      model: 'r1',
      timeoutMs: 50,
      maxRetries: 0,
    });
    await assert.rejects(backend.sample(request, 1), /timed out/i);
  });

  it('rejects bad configuration with a clear message', () => {
    assert.throws(() => new OpenAICompatibleBackend({ baseURLs: [], model: 'r1' }), /at least one base URL/);
    assert.throws(
      () => new OpenAICompatibleBackend({ baseURLs: ['not a url'], model: 'r1' }),
      /is not a URL/,
    );
    assert.throws(
      () => new OpenAICompatibleBackend({ baseURLs: ['http://127.0.0.1:1/v1'], model: '' }),
      /model name/,
    );
  });
});
