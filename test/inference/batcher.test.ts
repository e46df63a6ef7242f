// The dynamic batcher on a tiny model: which requests share a generate call, per-request max_tokens,
// seeded requests, the batch size cap, waiting for requests still being prepared; and image URLs
// fetched over http(s) when allowed, under the byte limit.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type BatcherOptions, GenerationBatcher, type GenerationJob } from '../../src/inference/batcher.js';
import { imageUrlToPixels } from '../../src/inference/image-input.js';
import { type LoadedCheckpoint, loadCheckpoint } from '../../src/model/index.js';
import { JUDGE_TEXT, png, writeTinyCheckpoint } from '../serve/tiny-checkpoint.js';

let checkpoint: LoadedCheckpoint;
before(() => {
  checkpoint = loadCheckpoint(writeTinyCheckpoint(2));
});

function batcher(options: BatcherOptions = {}) {
  const calls: number[] = [];
  const b = new GenerationBatcher(checkpoint.model, checkpoint.tokenizer, {
    windowMs: 10,
    ...options,
    onBatch: (s) => calls.push(s.prompts),
  });
  return { b, calls };
}

const job = (text: string, extra: Partial<GenerationJob> = {}): GenerationJob => ({
  prompt: { tokens: checkpoint.tokenizer.encode(text) },
  n: 1,
  temperature: 1,
  topP: 1,
  maxTokens: 6,
  stop: [],
  ...extra,
});

describe('GenerationBatcher', () => {
  it('runs requests that sample alike in one call, each cut to its own max_tokens', async () => {
    const { b, calls } = batcher();
    const [short, long] = await Promise.all([
      b.submit(job(JUDGE_TEXT, { maxTokens: 2, stop: [] })),
      b.submit(job('Question: hi', { maxTokens: 9 })),
    ]);
    assert.deepEqual(calls, [2]);
    assert.ok(short[0]!.tokenIds.length <= 2);
    assert.ok(long[0]!.tokenIds.length <= 9);
    // The call ran up to 9 tokens; the short request is cut at 2 unless it ended before.
    if (short[0]!.finishReason !== 'eos') {
      assert.equal(short[0]!.tokenIds.length, 2);
      assert.equal(short[0]!.finishReason, 'length');
    }
    assert.equal(
      short[0]!.text,
      checkpoint.tokenizer.decode(short[0]!.tokenIds.filter((t) => t !== checkpoint.tokenizer.id('eos'))),
    );
  });

  it('runs different sampling settings in separate calls, and caps the batch size', async () => {
    const { b, calls } = batcher({ maxBatchPrompts: 2 });
    await Promise.all([
      b.submit(job('a', { temperature: 0 })),
      b.submit(job('b')),
      b.submit(job('c')),
      b.submit(job('d')),
      b.submit(job('e', { temperature: 0 })),
    ]);
    // Oldest first: 'a' with 'e' (greedy), then b, c (cap 2), then d.
    assert.deepEqual(calls, [2, 2, 1]);
    assert.equal(b.queueDepth, 0);
  });

  it('gives a seeded request the same samples whatever else is queued, and the longer run extends the shorter', async () => {
    const { b, calls } = batcher();
    const seeded = (maxTokens: number) => b.submit(job(JUDGE_TEXT, { seed: 11, n: 3, maxTokens }));
    const [alone] = await Promise.all([seeded(4)]);
    const [crowded, , longer] = await Promise.all([seeded(4), b.submit(job('other')), seeded(8)]);
    assert.deepEqual(crowded, alone);
    assert.deepEqual(
      longer!.map((g) => g.tokenIds.slice(0, 4)),
      alone!.map((g) => g.tokenIds),
    );
    assert.equal(calls.length, 4, 'each seeded request ran alone');
  });

  it('batches requests with a sampleSeed, each drawing as it would alone', async () => {
    const { b, calls } = batcher();
    const mine = (maxTokens: number) => job(JUDGE_TEXT, { sampleSeed: 5, n: 2, maxTokens });
    const [alone] = await Promise.all([b.submit(mine(6))]);
    const [other, crowded] = await Promise.all([
      b.submit(job('Question: hi', { sampleSeed: 9, n: 2, maxTokens: 9 })),
      b.submit(mine(6)),
    ]);
    assert.deepEqual(calls, [1, 2], 'the second pair shared one call');
    assert.deepEqual(
      crowded!.map((g) => g.tokenIds),
      alone!.map((g) => g.tokenIds),
    );
    // A different seed draws other samples (for this prompt, with 2 × 6 draws: not all equal).
    const [reseeded] = await Promise.all([b.submit(job(JUDGE_TEXT, { sampleSeed: 6, n: 2, maxTokens: 6 }))]);
    assert.notDeepEqual(
      reseeded!.map((g) => g.tokenIds),
      alone!.map((g) => g.tokenIds),
    );
    assert.equal(other!.length, 2);
  });

  it('waits for requests still being prepared, so they join the batch', async (t) => {
    // The batcher's window and wait run on a scripted clock: time passes only when the test ticks it.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { b, calls } = batcher({ windowMs: 1, maxWaitMs: 5000 });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = b.prepare(async () => {
      await held;
      return job('slow');
    });
    const fast = b.submit(job('fast'));
    const slowDone = slow.then((j) => b.submit(j));
    t.mock.timers.tick(100); // a hundred windows long, well inside maxWaitMs
    assert.deepEqual(calls, [], 'nothing runs while a request is being prepared');
    assert.equal(b.queueDepth, 1);
    release();
    await slow;
    t.mock.timers.tick(1);
    await Promise.all([fast, slowDone]);
    assert.deepEqual(calls, [2]);
  });

  it('fails only the bad request of a batch, not the others', async () => {
    const { b, calls } = batcher();
    const imageId = checkpoint.tokenizer.id('image');
    // Image placeholders without images: the model refuses this prompt.
    const bad = b.submit({ ...job('x'), prompt: { tokens: [imageId, imageId] } });
    const good = b.submit(job('fine'));
    await assert.rejects(bad);
    assert.equal((await good).length, 1);
    assert.deepEqual(calls, [1]);
  });

  it('hands out each token as it is sampled, and lets the event loop run between steps', async () => {
    const { b } = batcher();
    const seen: number[][] = [[], []];
    const lastFlags: boolean[][] = [[], []];
    let ticks = 0;
    let ticksAtFirstToken = -1;
    const timer = setInterval(() => ticks++, 0);
    const samples = await b.submit(job(JUDGE_TEXT, { n: 2, maxTokens: 40, seed: 4 }), undefined, (t) => {
      if (ticksAtFirstToken < 0) ticksAtFirstToken = ticks;
      seen[t.sample]!.push(t.tokenId);
      lastFlags[t.sample]!.push(t.finishReason !== null);
    });
    clearInterval(timer);
    assert.deepEqual(
      seen,
      samples.map((g) => g.tokenIds),
    );
    // Only each sample's last token carries a finish reason.
    for (const flags of lastFlags)
      assert.deepEqual(
        flags,
        flags.map((_, i) => i === flags.length - 1),
      );
    assert.ok(ticks > ticksAtFirstToken + 1, `timers fired while the batch ran (${ticks} ticks)`);
  });

  it('drops a request whose client left mid-batch; the others finish', async () => {
    const { b } = batcher();
    const controller = new AbortController();
    let goneTokens = 0;
    const gone = b.submit(job('gone', { maxTokens: 30 }), controller.signal, () => {
      if (++goneTokens === 3) controller.abort();
    });
    let keptTokens = 0;
    const kept = b.submit(job('kept', { maxTokens: 30 }), undefined, () => keptTokens++);
    await assert.rejects(gone, /cancelled/);
    const [sample] = await kept;
    assert.equal(goneTokens, 3, 'no token after the abort');
    assert.equal(keptTokens, sample!.tokenIds.length);
    if (sample!.finishReason === 'length') assert.equal(sample!.tokenIds.length, 30);
  });

  it('stops the batch and frees the model when every request has left', async () => {
    const batches: number[] = [];
    const b = new GenerationBatcher(checkpoint.model, checkpoint.tokenizer, {
      windowMs: 1,
      onBatch: (s) => batches.push(s.tokens),
    });
    const controller = new AbortController();
    let tokens = 0;
    const gone = b.submit(job('gone', { maxTokens: 200 }), controller.signal, () => {
      if (++tokens === 2) controller.abort();
    });
    await assert.rejects(gone, /cancelled/);
    await b.drain();
    assert.equal(tokens, 2);
    assert.deepEqual(batches, [0], 'the batch ended with nothing to answer');
    // The model is free for the next request at once.
    assert.equal((await b.submit(job('next', { maxTokens: 3 }))).length, 1);
  });

  it('withdraws a request aborted before it runs, and drain() waits for the rest', async () => {
    const { b, calls } = batcher({ windowMs: 30 });
    const controller = new AbortController();
    const gone = b.submit(job('gone'), controller.signal);
    const kept = b.submit(job('kept'));
    controller.abort();
    await assert.rejects(gone, /cancelled/);
    await b.drain();
    assert.equal((await kept).length, 1);
    assert.deepEqual(calls, [1]);
  });
});

describe('remote image URLs', () => {
  let server: Server;
  let base: string;
  before(async () => {
    const image = await png(50, 40);
    server = createServer((request, response) => {
      if (request.url === '/ok.png') response.end(image);
      else if (request.url === '/big.png') response.end(Buffer.alloc(5000));
      else if (request.url === '/chunked.png') {
        // No content-length: the limit must hold while reading.
        response.write(Buffer.alloc(3000));
        response.end(Buffer.alloc(3000));
      } else {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // Loopback is refused unless allowed explicitly (test/serve/remote-image.test.ts).
  const policy = { allowRemote: true, maxInputBytes: 4096, allowedNetworks: ['127.0.0.1'] };
  it('fetches an image when remote fetching is on', async () => {
    const pixels = await imageUrlToPixels(`${base}/ok.png`, 32, policy, 'f');
    assert.equal(pixels.length, 3 * 32 * 32);
  });
  it('refuses remote images above the byte limit, declared or not, and HTTP errors', async () => {
    await assert.rejects(
      imageUrlToPixels(`${base}/big.png`, 32, policy, 'f'),
      /5000 bytes, above the image limit of 4096/,
    );
    await assert.rejects(imageUrlToPixels(`${base}/chunked.png`, 32, policy, 'f'), /more than 4096 bytes/);
    await assert.rejects(
      imageUrlToPixels(`${base}/missing.png`, 32, policy, 'f'),
      /cannot fetch the image at/,
    );
  });
  it('refuses them when remote fetching is off', async () => {
    await assert.rejects(
      imageUrlToPixels(`${base}/ok.png`, 32, { maxInputBytes: 4096 }, 'f'),
      (e: Error & { field?: string }) => /remote image URLs are off/.test(e.message) && e.field === 'f',
    );
  });
});
