// The in-process judge backend with a tiny checkpoint: a pair judged end to end (image, both orders,
// k samples sharing a prefill), batching of concurrent items, and `judge` / `bench run` with --checkpoint.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { noGrad } from '../../src/engine/index.js';
import { judgePair } from '../../src/judge/judge.js';
import { LocalModelBackend } from '../../src/judge/local-backend.js';
import { COMPACT_TEMPLATE, loadCheckpoint, saveCheckpoint } from '../../src/model/index.js';
import { runCli } from '../cli/run-cli.js';
import { png, pngDataUrl, writeTinyCheckpoint } from '../serve/tiny-checkpoint.js';

const checkpoint = writeTinyCheckpoint(3);
const sampling = { temperature: 1, topP: 1, maxTokens: 8 };

describe('LocalModelBackend', () => {
  it('judges a pair with an image end to end: both orders, k samples each, votes over all', async () => {
    const backend = new LocalModelBackend({ checkpoint, ...sampling, seed: 5 });
    const result = await judgePair(
      {
        id: 'pair-1',
        images: [await pngDataUrl(40, 40)],
        question: 'what is shown?',
        responses: ['a red square', 'a blue circle'],
      },
      backend,
      { k: 3, order: 'both', seed: 0, template: COMPACT_TEMPLATE },
    );
    await backend.close();
    assert.deepEqual(
      result.judgements.map((j) => [j.firstAt, j.samples.length]),
      [
        [1, 3],
        [2, 3],
      ],
    );
    for (const j of result.judgements)
      for (const s of j.samples) {
        assert.equal(typeof s.text, 'string');
        assert.ok(['tag', 'fallback', 'none'].includes(s.via));
        assert.equal(s.choice === null, s.via === 'none');
      }
    const { first, second, unparseable } = result.votes;
    assert.equal(first + second + unparseable, 6);
  });

  it('keeps its identity when the same weights are re-saved, and changes it for new weights', async () => {
    const dir = writeTinyCheckpoint(4);
    const identity = async (path: string) => {
      const backend = new LocalModelBackend({ checkpoint: path, ...sampling });
      await backend.close();
      return backend.identity;
    };
    const before = await identity(dir);
    const manifestBefore = readFileSync(join(dir, 'manifest.json'), 'utf8');
    const loaded = loadCheckpoint(dir);
    const start = Date.now();
    while (Date.now() === start); // a new savedAt
    saveCheckpoint(dir, loaded.model, loaded.tokenizer);
    assert.notEqual(readFileSync(join(dir, 'manifest.json'), 'utf8'), manifestBefore);
    assert.equal(await identity(dir), before);
    noGrad(() => loaded.model.parameters()[0]!.mul_(1.001));
    saveCheckpoint(dir, loaded.model, loaded.tokenizer);
    loaded.model.dispose();
    assert.notEqual(await identity(dir), before);
  });

  it('samples the same texts for the same seed, and names the checkpoint and settings in its identity', async () => {
    const request = {
      images: [],
      text: 'Question: q\nResponse 1: a\nResponse 2: b\nWhich response is better?\n',
    };
    const a = new LocalModelBackend({ checkpoint, ...sampling, seed: 9 });
    const b = new LocalModelBackend({ checkpoint, ...sampling, seed: 9 });
    assert.deepEqual(await a.sample(request, 4), await b.sample(request, 4));
    assert.equal(a.identity, b.identity);
    const colder = new LocalModelBackend({ checkpoint, ...sampling, temperature: 0 });
    assert.notEqual(colder.identity, a.identity);
    assert.match(a.identity, /"backend":"local","checkpoint":"[0-9a-f]{64}"/);
    // Greedy samples of one request agree with each other.
    const greedy = await colder.sample(request, 3);
    assert.equal(new Set(greedy).size, 1);
  });

  it('gives a request the same samples alone or among concurrent ones, and new samples on a repeat', async () => {
    const request = (q: string) => ({
      images: [],
      text: `Question: ${q}\nResponse 1: a\nResponse 2: b\nWhich response is better?\n`,
    });
    const alone = new LocalModelBackend({ checkpoint, ...sampling, seed: 2 });
    const first = await alone.sample(request('q'), 3);
    const again = await alone.sample(request('q'), 3);
    const crowded = new LocalModelBackend({ checkpoint, ...sampling, seed: 2, batchWindowMs: 20 });
    const [, , inBatch] = await Promise.all([
      crowded.sample(request('other'), 2),
      crowded.sample(request('third'), 3),
      crowded.sample(request('q'), 3),
    ]);
    assert.deepEqual(inBatch, first);
    assert.notDeepEqual(again, first, 'a repeat of the same request draws new samples');
    assert.deepEqual(await crowded.sample(request('q'), 3), again);
    await Promise.all([alone.close(), crowded.close()]);
  });

  it('refuses a prompt longer than the model’s context, and remote image URLs, with clear errors', async () => {
    const backend = new LocalModelBackend({ checkpoint, ...sampling });
    await assert.rejects(backend.sample({ images: [], text: 'word '.repeat(400) }, 1), /context is 256/);
    await assert.rejects(
      backend.sample({ images: ['https://example.com/a.png'], text: 'x' }, 1),
      /remote image URLs are off/,
    );
  });

  it('withdraws a request whose signal is aborted before it runs', async () => {
    const backend = new LocalModelBackend({ checkpoint, ...sampling, batchWindowMs: 50 });
    const controller = new AbortController();
    const pending = backend.sample({ images: [], text: 'hello' }, 1, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, /cancelled/);
  });

  it('refuses a missing checkpoint naming it', () => {
    assert.throws(
      () => new LocalModelBackend({ checkpoint: '/nonexistent/ckpt', ...sampling }),
      /\/nonexistent\/ckpt cannot be loaded/,
    );
  });
});

describe('judge and bench run with --checkpoint', () => {
  it('r1-reward judge --checkpoint prints the votes as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-local-judge-'));
    const image = join(dir, 'a.png');
    writeFileSync(image, await png(20, 20));
    const done = await runCli([
      ...['judge', '--checkpoint', checkpoint, '--image', image, '--question', 'what is shown?'],
      ...[
        '--response1',
        'a red square',
        '--response2',
        'a blue circle',
        '-k',
        '2',
        '--max-tokens',
        '6',
        '--json',
      ],
    ]);
    // Exit 4 means "no majority", which an untrained model may well give.
    assert.ok(done.code === 0 || done.code === 4, done.stderr);
    const out = JSON.parse(done.stdout);
    assert.equal(out.judgements.length, 1);
    assert.equal(out.judgements[0].samples.length, 2);
  });

  it('r1-reward bench run --checkpoint judges every item into judgements.jsonl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-local-bench-'));
    mkdirSync(join(dir, 'img'));
    const lines = await Promise.all(
      [0, 1, 2].map(async (i) => {
        writeFileSync(join(dir, 'img', `${i}.png`), await png(10, 10, [i * 80, 50, 50]));
        return JSON.stringify({
          id: `wildvision_${i}`,
          prompt: `What is in picture ${i}?`,
          chosen: 'a red square',
          rejected: 'a blue circle',
          image: `img/${i}.png`,
        });
      }),
    );
    writeFileSync(join(dir, 'data.jsonl'), `${lines.join('\n')}\n`);
    const out = join(dir, 'run');
    const done = await runCli([
      ...['bench', 'run', '--benchmark', 'vl-rewardbench', '--data', join(dir, 'data.jsonl')],
      ...['--checkpoint', checkpoint, '-k', '2', '--max-tokens', '6', '--concurrency', '3', '--out', out],
    ]);
    assert.equal(done.code, 0, done.stderr);
    const records = readFileSync(join(out, 'judgements.jsonl'), 'utf8').trim().split('\n');
    assert.equal(records.length, 3);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.equal(run.config.checkpoint, checkpoint);
  });
});
