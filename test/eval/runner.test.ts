import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ImageInput, PreferencePair } from '../../src/data/types.js';
import type { JudgedItemRecord } from '../../src/eval/record.js';
import { type RunOptions, runBenchmark } from '../../src/eval/runner.js';
import { scoreRun } from '../../src/eval/score-run.js';
import { OpenAICompatibleBackend } from '../../src/judge/openai-backend.js';
import { positionsFor } from '../../src/judge/order.js';
import {
  type ChatBody,
  promptText,
  type ScriptedJudge,
  startScriptedJudge,
} from '../judge/scripted-judge.js';

const root = mkdtempSync(join(tmpdir(), 'r1-runner-'));
const servers: ScriptedJudge[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});
async function judgeServer(options: Parameters<typeof startScriptedJudge>[0] = {}) {
  const server = await startScriptedJudge(options);
  servers.push(server);
  return server;
}
let dirs = 0;
const freshDir = () => join(root, `run-${++dirs}`);

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const encodeImage = async (image: ImageInput) =>
  `data:image/png;base64,${Buffer.from(typeof image === 'string' ? image : image).toString('base64')}`;

function pairs(count: number, question = (i: number) => `What is in picture ${i}?`): PreferencePair[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `item-${i}`,
    question: question(i),
    chosen: `A GOOD answer ${i}`,
    rejected: `A poor answer ${i}`,
    images: [PNG],
    category: i % 2 ? 'mcq' : 'long',
    meta: { groupId: `q${Math.floor(i / 2)}` },
  }));
}

function readRecords(dir: string): JudgedItemRecord[] {
  return readFileSync(join(dir, 'judgements.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JudgedItemRecord);
}

function options(server: ScriptedJudge, outDir: string, extra: Partial<RunOptions> = {}): RunOptions {
  return {
    outDir,
    benchmark: 'mm-rlhf',
    backend: new OpenAICompatibleBackend({ baseURLs: [server.url], model: 'scripted', maxRetries: 0 }),
    k: 3,
    order: 'random',
    seed: 11,
    concurrency: 4,
    encodeImage,
    ...extra,
  };
}

describe('bench runner against a scripted judge on 127.0.0.1', () => {
  it('appends one line per item with order, raw samples, parsed choices and parse routes; scores them', async () => {
    const server = await judgeServer();
    const dir = freshDir();
    const summary = await runBenchmark(pairs(10), options(server, dir));
    assert.equal(summary.judged, 10);
    assert.equal(summary.errors, 0);
    const records = readRecords(dir);
    assert.deepEqual(
      records.map((r) => r.id).sort(),
      pairs(10)
        .map((p) => p.id)
        .sort(),
    );
    for (const r of records) {
      assert.equal(r.judgements.length, 1);
      const j = r.judgements[0]!;
      assert.deepEqual([j.firstAt], positionsFor('random', 11, r.id), 'seeded order per item');
      assert.equal(j.samples.length, 3);
      for (const s of j.samples) {
        assert.match(s.text, /<answer>[12]<\/answer>$/);
        assert.equal(s.choice, j.firstAt, 'the scripted judge picks the GOOD (chosen) response');
        assert.equal(s.via, 'tag');
      }
    }
    assert.ok(new Set(records.map((r) => r.judgements[0]!.firstAt)).size === 2, 'both orders occur');
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    assert.equal(run.settings.k, 3);
    assert.equal(run.sessions[0].judged, 10);
    assert.ok('commit' in run.sessions[0] && run.sessions[0].versions.node === process.version);

    const { metrics, files } = await scoreRun(dir, 'official');
    assert.equal(metrics.overall, 1);
    assert.equal(metrics.accPlus, 1);
    for (const file of files) assert.ok(existsSync(file));
    const html = readFileSync(files[2]!, 'utf8');
    assert.match(html, /<svg[^>]*aria-label="Voting@K curve"/);
    assert.doesNotMatch(html, /<script|src="http/, 'self-contained');
    assert.match(readFileSync(files[1]!, 'utf8'), /\| Overall \| 100\.00 \| 80\.59 \| 86\.47 \|/);
  });

  it('keeps at most `concurrency` items in flight', async () => {
    // Every request is held until released one at a time, each time once three have arrived: a
    // runner sending a fourth would have four held at once.
    const server = await judgeServer({ hold: true });
    const run = runBenchmark(pairs(16), options(server, freshDir(), { k: 1, concurrency: 3 }));
    for (let released = 0; released < 16; released++) {
      await server.whenHeld(Math.min(3, 16 - released));
      server.release(1);
    }
    assert.equal((await run).judged, 16);
    assert.equal(server.maxInFlight, 3);
  });

  it('resumes after an abort: skips finished items, loses and duplicates none', async () => {
    // Pictures 0–6 are answered, later ones held: the run is aborted with exactly 7 items judged.
    const picture = (body: ChatBody) => Number(/picture (\d+)\?/.exec(promptText(body))?.[1]);
    const server = await judgeServer({ hold: (body) => picture(body) >= 7 });
    const dir = freshDir();
    const controller = new AbortController();
    const first = await runBenchmark(
      pairs(30),
      options(server, dir, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.judged >= 7) controller.abort();
        },
      }),
    );
    assert.equal(first.aborted, true);
    assert.equal(first.judged, 7);
    assert.equal(first.errors, 0, 'aborted items are not errors');
    server.open();
    const second = await runBenchmark(pairs(30), options(server, dir));
    assert.equal(second.skipped, 7);
    assert.equal(second.judged, 23);
    const ids = readRecords(dir).map((r) => r.id);
    assert.equal(ids.length, 30);
    assert.equal(new Set(ids).size, 30);
  });

  it('records failures in errors.jsonl, never caches them, and judges them on the next run', async () => {
    let poisoned = true;
    const server = await judgeServer({
      script: (body) =>
        poisoned && promptText(body).includes('picture 3?')
          ? { status: 400, body: { error: { message: 'bad image' } } }
          : undefined,
    });
    const dir = freshDir();
    const first = await runBenchmark(pairs(5), options(server, dir, { k: 1 }));
    assert.equal(first.errors, 1);
    assert.equal(readRecords(dir).length, 4);
    const error = JSON.parse(readFileSync(join(dir, 'errors.jsonl'), 'utf8').trim());
    assert.equal(error.id, 'item-3');
    assert.match(error.error, /400/);
    poisoned = false;
    const before = server.log.length;
    const second = await runBenchmark(pairs(5), options(server, dir, { k: 1 }));
    assert.equal(second.judged, 1);
    assert.equal(server.log.length - before, 1, 'only the failed item is asked again');
    assert.equal(readRecords(dir).length, 5);
  });

  it('stops early when items keep failing (a dead endpoint), saying why', async () => {
    const server = await judgeServer({
      script: () => ({ status: 404, body: { error: { message: 'model not found' } } }),
    });
    const dir = freshDir();
    const summary = await runBenchmark(
      pairs(60),
      options(server, dir, { k: 1, concurrency: 2, maxConsecutiveErrors: 5 }),
    );
    assert.match(
      summary.stoppedBecause!,
      /^5 items in a row failed \(last: .*model not found\); stopped early/,
    );
    assert.ok(summary.errors >= 5 && summary.errors <= 7, `${summary.errors} errors`);
    assert.equal(
      JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).sessions[0].stoppedBecause,
      summary.stoppedBecause,
    );
  });

  it('serves repeated requests from the content-keyed cache, and draws only the missing samples for a larger k', async () => {
    const server = await judgeServer();
    const cacheFile = join(root, 'shared-cache.jsonl');
    await runBenchmark(pairs(4), options(server, freshDir(), { k: 2, cacheFile }));
    const afterFirst = server.log.length;
    const again = await runBenchmark(pairs(4), options(server, freshDir(), { k: 2, cacheFile }));
    assert.equal(server.log.length, afterFirst, 'no request: every sample came from the cache');
    assert.equal(again.cached, 8);
    const bigger = freshDir();
    await runBenchmark(pairs(4), options(server, bigger, { k: 5, cacheFile }));
    assert.deepEqual(
      server.log.slice(afterFirst).map((e) => e.body.n),
      [3, 3, 3, 3],
    );
    assert.ok(
      readRecords(bigger).every(
        (r) => r.judgements[0]!.samples.length === 5 && r.judgements[0]!.cached === 2,
      ),
    );
  });

  it('judges each item in both orders with --order both and reports position consistency', async () => {
    const server = await judgeServer();
    const dir = freshDir();
    await runBenchmark(pairs(6), options(server, dir, { order: 'both', k: 1 }));
    const records = readRecords(dir);
    assert.ok(records.every((r) => r.judgements.map((j) => j.firstAt).join() === '1,2'));
    const { metrics } = await scoreRun(dir, 'official');
    assert.deepEqual(metrics.positionConsistency, { rate: 1, consistent: 6, disagreements: 0, compared: 6 });
    const compat = await scoreRun(dir, 'r1-compat');
    assert.equal(compat.metrics.protocol, 'r1-compat');
    assert.ok(compat.files[0]!.endsWith('metrics.r1-compat.json'));
  });

  it('order stored shows each pair as the file stores it (meta.chosenPosition), and needs it', async () => {
    const server = await judgeServer();
    const dir = freshDir();
    const stored = pairs(4).map((p, i) => ({ ...p, meta: { ...p.meta, chosenPosition: i % 2 ? 2 : 1 } }));
    await runBenchmark(stored, options(server, dir, { order: 'stored', k: 1 }));
    const byId = new Map(readRecords(dir).map((r) => [r.id, r.judgements.map((j) => j.firstAt)]));
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => byId.get(`item-${i}`)),
      [[1], [2], [1], [2]],
    );
    const summary = await runBenchmark(pairs(1), options(server, freshDir(), { order: 'stored', k: 1 }));
    assert.equal(summary.errors, 1);
  });

  it('counts unparseable and fallback-parsed samples', async () => {
    const server = await judgeServer();
    const dir = freshDir();
    const summary = await runBenchmark(
      pairs(4, (i) => (i === 0 ? 'MALFORMED please' : i === 1 ? 'FALLBACK please' : 'plain')),
      options(server, dir, { k: 1, order: 'fixed' }),
    );
    assert.equal(summary.unparseable, 1);
    const { metrics } = await scoreRun(dir, 'official');
    assert.deepEqual(metrics.unparseable, { count: 1, samples: 4, rate: 0.25 });
    assert.deepEqual(metrics.fallbackParsed, { count: 1, samples: 4, rate: 0.25 });
    assert.equal(metrics.overall, 0.75, 'MM-RLHF is strict: unparseable is wrong');
  });

  it('refuses to resume with different settings, and cuts a torn last line', async () => {
    const server = await judgeServer();
    const dir = freshDir();
    await runBenchmark(pairs(3), options(server, dir, { k: 1 }));
    await assert.rejects(
      runBenchmark(pairs(3), options(server, dir, { k: 2 })),
      /started with k = 1, not 2.*new --out/,
    );
    appendFileSync(join(dir, 'judgements.jsonl'), '{"id":"item-9","judgements":[{"fir');
    const warnings: string[] = [];
    const summary = await runBenchmark(
      pairs(4),
      options(server, dir, { k: 1, onWarning: (m) => warnings.push(m) }),
    );
    assert.match(warnings[0]!, /cut off a torn last line \(34 bytes\)/);
    assert.equal(summary.judged, 1);
    assert.equal(summary.skipped, 3);
    assert.deepEqual(
      readRecords(dir)
        .map((r) => r.id)
        .sort(),
      ['item-0', 'item-1', 'item-2', 'item-3'],
    );
  });
});
