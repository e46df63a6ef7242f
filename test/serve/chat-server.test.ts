// `serve --checkpoint`: the official openai client against a real server on 127.0.0.1 with a tiny
// checkpoint (plain, n > 1, streaming, images), then every bad input, auth, path traversal, batching
// and graceful shutdown.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { r1RewardPrompt } from '../../src/data/r1-reward-format.js';
import { judgePair } from '../../src/judge/judge.js';
import { OpenAICompatibleBackend } from '../../src/judge/openai-backend.js';
import { COMPACT_TEMPLATE, type LoadedCheckpoint, loadCheckpoint } from '../../src/model/index.js';
import { buildChatServer, type ChatServerOptions } from '../../src/serve/chat-server.js';
import { startCliServer } from './cli-server.js';
import { JUDGE_TEXT, png, pngDataUrl, writeTinyCheckpoint } from './tiny-checkpoint.js';

const root = new URL('../../', import.meta.url).pathname;
const ckptDir = writeTinyCheckpoint();
let checkpoint: LoadedCheckpoint;
const imageRoot = mkdtempSync(join(tmpdir(), 'r1-serve-images-'));
const outside = mkdtempSync(join(tmpdir(), 'r1-serve-outside-'));

async function start(extra: Partial<ChatServerOptions> = {}): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildChatServer({
    checkpoint,
    modelName: 'tiny-judge',
    images: { allowedRoot: imageRoot, maxInputBytes: 200_000, maxInputPixels: 1_000_000 },
    defaultMaxTokens: 12,
    batchWindowMs: 20,
    ...extra,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const user = (content: unknown) => ({ messages: [{ role: 'user', content }] });

describe('serve --checkpoint with the openai client', () => {
  let app: FastifyInstance;
  let url: string;
  let client: OpenAI;
  before(async () => {
    checkpoint = loadCheckpoint(ckptDir);
    writeFileSync(join(imageRoot, 'red.png'), await png(40, 30));
    writeFileSync(join(imageRoot, 'notes.png'), 'not an image');
    mkdirSync(join(imageRoot, 'sub'));
    writeFileSync(join(outside, 'secret.png'), await png(8, 8));
    symlinkSync(join(outside, 'secret.png'), join(imageRoot, 'sub', 'link.png'));
    ({ app, url } = await start());
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => app.close());

  it('lists the model', async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => [m.id, m.object, m.owned_by]),
      [['tiny-judge', 'model', 'r1-reward']],
    );
  });

  it('answers a plain request in OpenAI’s shape with usage', async () => {
    const r = await client.chat.completions.create({
      model: 'tiny-judge',
      messages: [{ role: 'user', content: JUDGE_TEXT }],
      max_tokens: 7,
      temperature: 0,
    });
    assert.equal(r.object, 'chat.completion');
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.model, 'tiny-judge');
    assert.equal(r.choices.length, 1);
    const choice = r.choices[0]!;
    assert.equal(choice.message.role, 'assistant');
    assert.equal(typeof choice.message.content, 'string');
    assert.ok(['stop', 'length'].includes(choice.finish_reason));
    assert.equal(r.usage!.prompt_tokens, checkpoint.tokenizer.encode(JUDGE_TEXT).length);
    assert.ok(r.usage!.completion_tokens >= 1 && r.usage!.completion_tokens <= 7);
    assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + r.usage!.completion_tokens);
    if (choice.finish_reason === 'length') assert.equal(r.usage!.completion_tokens, 7);
  });

  it('gives n samples with one prompt count, and the same answer for the same seed', async () => {
    const ask = () =>
      client.chat.completions.create({
        model: 'tiny-judge',
        messages: [{ role: 'user', content: JUDGE_TEXT }],
        n: 3,
        max_tokens: 10,
        temperature: 1,
        seed: 42,
        stop: ['</answer>'],
      });
    const [a, b] = await Promise.all([ask(), ask()]);
    assert.deepEqual(
      a.choices.map((c) => c.index),
      [0, 1, 2],
    );
    assert.equal(a.usage!.prompt_tokens, checkpoint.tokenizer.encode(JUDGE_TEXT).length);
    assert.deepEqual(
      a.choices.map((c) => c.message.content),
      b.choices.map((c) => c.message.content),
    );
    for (const c of a.choices) assert.ok(!c.message.content!.includes('</answer>'));
  });

  it('streams SSE chunks that add up to the plain answer, with usage at the end', async () => {
    const params = {
      model: 'tiny-judge',
      messages: [{ role: 'user' as const, content: JUDGE_TEXT }],
      max_tokens: 12,
      temperature: 0.8,
      seed: 7,
      n: 2,
    };
    const plain = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    const content = ['', ''];
    const finish: (string | null)[] = [null, null];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      assert.equal(chunk.object, 'chat.completion.chunk');
      for (const c of chunk.choices) {
        content[c.index] += c.delta.content ?? '';
        if (c.finish_reason) finish[c.index] = c.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(chunks > 4);
    assert.deepEqual(
      content,
      plain.choices.map((c) => c.message.content),
    );
    assert.deepEqual(
      finish,
      plain.choices.map((c) => c.finish_reason),
    );
    assert.deepEqual(usage, plain.usage);
  });

  it('takes images as data URLs and as files under the image root, each as 16 image tokens', async () => {
    const text = JUDGE_TEXT;
    const r = await client.chat.completions.create({
      model: 'tiny-judge',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: await pngDataUrl(64, 48) } },
            { type: 'image_url', image_url: { url: 'red.png' } },
            { type: 'text', text },
          ],
        },
      ],
      max_tokens: 4,
    });
    assert.equal(r.usage!.prompt_tokens, 2 * 16 + checkpoint.tokenizer.encode(text).length);
    const viaFileUrl = await post(url, {
      ...user([{ type: 'image_url', image_url: { url: `file://${join(imageRoot, 'red.png')}` } }]),
      max_tokens: 2,
    });
    assert.equal(viaFileUrl.status, 200);
    assert.equal(viaFileUrl.body.usage.prompt_tokens, 16);
  });

  it('batches concurrent requests into shared generate calls', async () => {
    const before = await (await fetch(`${url}/metrics`)).text();
    const count = (text: string) => Number(/r1_serve_batch_prompts_count (\d+)/.exec(text)?.[1] ?? 0);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.chat.completions.create({
          model: 'tiny-judge',
          messages: [{ role: 'user', content: `${JUDGE_TEXT}${i}` }],
          max_tokens: 3 + (i % 3),
        }),
      ),
    );
    assert.equal(answers.length, 8);
    answers.forEach((a, i) => {
      assert.ok(a.usage!.completion_tokens <= 3 + (i % 3));
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.ok(
      count(metrics) - count(before) < 8,
      'eight concurrent requests ran in fewer than eight batches',
    );
    assert.match(metrics, /r1_serve_tokens_total\{kind="completion"\} \d+/);
    assert.match(metrics, /r1_serve_queue_depth 0/);
    assert.match(metrics, /r1_serve_requests_total\{route="\/v1\/chat\/completions",status="200"\}/);
  });

  it('serves the judge’s own OpenAI backend: a pair judged end to end over HTTP', async () => {
    const backend = new OpenAICompatibleBackend({
      baseURLs: [`${url}/v1`],
      model: 'tiny-judge',
      maxTokens: 8,
      maxRetries: 0,
    });
    const result = await judgePair(
      {
        id: 'p',
        images: [await pngDataUrl()],
        question: 'what is shown?',
        responses: ['a red square', 'a blue circle'],
      },
      backend,
      { k: 3, order: 'both', seed: 0, template: COMPACT_TEMPLATE },
    );
    await backend.close();
    assert.equal(backend.nSupport, 'yes');
    assert.deepEqual(
      result.judgements.map((j) => j.samples.length),
      [3, 3],
    );
  });

  it('reads the released R1-Reward prompt in the template the checkpoint was trained with', async () => {
    const image = { type: 'image_url', image_url: { url: await pngDataUrl() } };
    const ask = (text: string) => post(url, { ...user([image, { type: 'text', text }]), max_tokens: 4096 });
    const released = await ask(r1RewardPrompt('what is shown?', 'a red square', 'a blue circle'));
    const compact = await ask(JUDGE_TEXT);
    assert.equal(released.status, 200, JSON.stringify(released.body));
    // Same tokens as the compact prompt itself; max_tokens is capped by the room left in the context.
    assert.equal(released.body.usage.prompt_tokens, compact.body.usage.prompt_tokens);
    assert.ok(released.body.usage.prompt_tokens + released.body.usage.completion_tokens <= 256);
    const long = await ask(r1RewardPrompt('what is shown?', 'a red square '.repeat(200), 'a blue circle'));
    assert.equal(long.status, 400);
    assert.match(
      long.body.error.message,
      /the prompt is \d+ tokens .* context is 256, with no room to answer; the released judge prompt was already put into the checkpoint's compact template, so shorten the question or responses/,
    );
  });

  it('reports health', async () => {
    const r = await fetch(`${url}/health`);
    assert.deepEqual(await r.json(), {
      status: 'ok',
      model: 'tiny-judge',
      queue: 0,
      maxSeqLen: 256,
      vision: true,
      judgeTemplate: COMPACT_TEMPLATE,
    });
  });

  describe('bad input gets a 400 that names the field', () => {
    const cases: [string, () => Promise<unknown> | unknown, number, RegExp, string?][] = [
      ['malformed JSON', () => '{"messages": [', 400, /malformed JSON body/],
      ['a non-UTF-8 body', () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400, /not valid UTF-8/],
      ['no messages', () => ({}), 400, /must have required property 'messages'/, 'body/messages'],
      ['empty messages', () => ({ messages: [] }), 400, /must NOT have fewer than 1 items/, 'body/messages'],
      ['n as a string', () => ({ ...user('hi'), n: '3' }), 400, /must be integer/, 'body/n'],
      ['n too large', () => ({ ...user('hi'), n: 17 }), 400, /must be <= 16/, 'body/n'],
      ['temperature < 0', () => ({ ...user('hi'), temperature: -1 }), 400, />= 0/, 'body/temperature'],
      ['top_p = 0', () => ({ ...user('hi'), top_p: 0 }), 400, /> 0/, 'body/top_p'],
      [
        'an unknown role',
        () => ({ messages: [{ role: 'robot', content: 'x' }] }),
        400,
        /allowed values/,
        'body/messages/0/role',
      ],
      [
        'too many messages',
        () => ({ messages: Array(300).fill({ role: 'user', content: 'x' }) }),
        400,
        /more than 256/,
        'body/messages',
      ],
      [
        'too many stop strings',
        () => ({ ...user('hi'), stop: ['a', 'b', 'c', 'd', 'e'] }),
        400,
        /stop|anyOf/,
        'body/stop',
      ],
      [
        'a wrong model name',
        () => ({ ...user('hi'), model: 'gpt-4o' }),
        404,
        /does not exist here/,
        'body/model',
      ],
      [
        'an image part without image_url',
        () => user([{ type: 'image_url' }]),
        400,
        /needs "image_url"/,
        'body/messages/0/content/0/image_url',
      ],
      [
        'a data URL that is not base64',
        () => user([{ type: 'image_url', image_url: { url: 'data:image/png,abc' } }]),
        400,
        /must be base64-encoded/,
        'body/messages/0/content/0/image_url/url',
      ],
      [
        'a data URL that is not an image',
        () =>
          user([
            {
              type: 'image_url',
              image_url: { url: `data:image/png;base64,${Buffer.from('hello').toString('base64')}` },
            },
          ]),
        400,
        /cannot decode/,
        'body/messages/0/content/0/image_url/url',
      ],
      [
        'an image above the byte limit (refused before decoding)',
        () =>
          user([{ type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(300_000)}` } }]),
        400,
        /above the image limit of 200000/,
        'body/messages/0/content/0/image_url/url',
      ],
      [
        'an image above the pixel limit (refused before decoding)',
        async () => {
          // A 2000×1000 solid PNG compresses to a few KB: small in bytes, large in pixels.
          const big = (await png(2000, 1000)).toString('base64');
          return user([{ type: 'image_url', image_url: { url: `data:image/png;base64,${big}` } }]);
        },
        400,
        /above maxInputPixels=1000000 \(refused before decoding\)/,
        'body/messages/0/content/0/image_url/url',
      ],
      [
        'a remote URL (remote fetching is off)',
        () => user([{ type: 'image_url', image_url: { url: 'http://127.0.0.1:9/x.png' } }]),
        400,
        /remote image URLs are off/,
      ],
      [
        'a path escaping the image root',
        () => user([{ type: 'image_url', image_url: { url: '../../../../etc/passwd' } }]),
        400,
        /outside the allowed image folder/,
      ],
      [
        'an absolute path elsewhere',
        () => user([{ type: 'image_url', image_url: { url: join(outside, 'secret.png') } }]),
        400,
        /outside the allowed image folder/,
      ],
      [
        'a symbolic link out of the image root',
        () => user([{ type: 'image_url', image_url: { url: 'sub/link.png' } }]),
        400,
        /outside the allowed image folder/,
      ],
      [
        'a file:// URL escaping the image root',
        () => user([{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }]),
        400,
        /outside the allowed image folder/,
      ],
      [
        'logprobs (not supported)',
        () => ({ ...user('hi'), logprobs: true }),
        400,
        /not supported/,
        'body/logprobs',
      ],
      ['tools (not supported)', () => ({ ...user('hi'), tools: [] }), 400, /not supported/, 'body/tools'],
      [
        'a file that is not an image (named as sent, not by the server’s path)',
        () => user([{ type: 'image_url', image_url: { url: 'notes.png' } }]),
        400,
        /^image "notes.png": cannot decode/,
      ],
      [
        'a missing file',
        () => user([{ type: 'image_url', image_url: { url: 'nope.png' } }]),
        400,
        /not found/,
      ],
    ];
    for (const [what, makeBody, status, message, field] of cases)
      it(what, async () => {
        const r = await post(url, await makeBody());
        assert.equal(r.status, status, JSON.stringify(r.body));
        assert.match(r.body.error.message, message);
        if (field) assert.equal(r.body.error.param, field);
        if (status === 400) assert.equal(r.body.error.type, 'invalid_request_error');
      });

    it('a body above the limit is a 413 saying how to raise it', async () => {
      const small = await start({ bodyLimitBytes: 4096 });
      try {
        const r = await post(small.url, user('x'.repeat(5000)));
        assert.equal(r.status, 413);
        assert.match(
          r.body.error.message,
          /larger than 4096 bytes; send smaller images or raise --body-limit-mb/,
        );
      } finally {
        await small.app.close();
      }
    });

    it('a text/plain body is a 415', async () => {
      const r = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'hello',
      });
      assert.equal(r.status, 415);
    });

    it('local files are refused when no image root is set', async () => {
      const closed = await start({ images: {} });
      try {
        const r = await post(closed.url, user([{ type: 'image_url', image_url: { url: 'red.png' } }]));
        assert.equal(r.status, 400);
        assert.match(r.body.error.message, /local image files are off/);
      } finally {
        await closed.app.close();
      }
    });
  });
});

describe('serve --checkpoint auth and shutdown', () => {
  before(() => {
    checkpoint ??= loadCheckpoint(ckptDir);
  });

  it('needs the bearer token everywhere but /health, and the openai client sends it', async () => {
    const { app, url } = await start({ apiKey: 'sesame' });
    try {
      const denied = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'wrong', maxRetries: 0 });
      await assert.rejects(denied.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError);
      const none = await post(url, user('hi'));
      assert.equal(none.status, 401);
      assert.equal(none.body.error.param, 'headers/authorization');
      assert.equal((await fetch(`${url}/metrics`)).status, 401);
      assert.equal((await fetch(`${url}/health`)).status, 200);
      const allowed = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sesame', maxRetries: 0 });
      const r = await allowed.chat.completions.create({
        model: 'tiny-judge',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 2,
      });
      assert.equal(r.choices.length, 1);
    } finally {
      await app.close();
    }
  });

  it('finishes in-flight requests when closed', async () => {
    // A long window keeps both requests queued until close() has begun.
    const { app, url } = await start({ batchWindowMs: 1500 });
    const inFlight = Promise.all([
      post(url, { ...user('hi'), max_tokens: 5 }),
      post(url, { ...user('ho'), max_tokens: 5 }),
    ]);
    for (;;) {
      const health = (await (await fetch(`${url}/health`)).json()) as { queue: number };
      if (health.queue === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await app.close();
    const answers = await inFlight;
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
    );
  });

  it('starts from the command line on a run folder (its newest checkpoint) and exits cleanly on SIGTERM', async () => {
    const run = join(mkdtempSync(join(tmpdir(), 'r1-serve-run-')), 'my-run');
    cpSync(ckptDir, join(run, 'checkpoints', 'step-000002'), { recursive: true });
    const server = await startCliServer(['serve', '--checkpoint', run]);
    try {
      // The model is named after the run folder.
      const r = await post(server.url, { ...user('hi'), model: 'my-run', max_tokens: 2 });
      assert.equal(r.status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('refuses a missing checkpoint with one clear line (exit code 1)', () => {
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--checkpoint', '/nonexistent/ckpt'],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(out.status, 1);
    assert.match(out.stderr, /^error: checkpoint \/nonexistent\/ckpt cannot be loaded:/);
  });
});
