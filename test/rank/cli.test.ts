// `rank` and `best-of-n` end to end: real child processes talking to a scripted judge served by this
// test process, which decides by the rule judge's rules (the higher `q=` wins).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { BestOfNRow, BestOfNSummary } from '../../src/rank/best-of-n.js';
import type { Ranking } from '../../src/rank/types.js';
import { cli, runCli as run } from '../cli/run-cli.js';
import { promptText, type ScriptedJudge, startScriptedJudge } from '../judge/scripted-judge.js';
import { ruleSample } from './rule-judge.js';

const root = mkdtempSync(join(tmpdir(), 'r1-rank-cli-'));
const servers: ScriptedJudge[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});

/**
 * A scripted judge that answers by the rule judge's rules (higher quality wins); `onRequest` sees each
 * request's prompt before it is answered (to interrupt a run at a known point, without timers).
 */
async function ruleServer(onRequest?: (prompt: string) => void): Promise<ScriptedJudge> {
  const server = await startScriptedJudge({
    script: (body) => {
      onRequest?.(promptText(body));
      return { texts: Array.from({ length: body.n ?? 1 }, (_, s) => ruleSample(promptText(body), s)) };
    },
  });
  servers.push(server);
  return server;
}

/** Sends `signal` to a CLI run as soon as the judge sees the first request about `question`. */
function interruptAt(question: string, signal: NodeJS.Signals) {
  let child: ChildProcess | undefined;
  let sent = false;
  return {
    attach: (c: ChildProcess) => {
      child = c;
    },
    onRequest: (prompt: string) => {
      if (!sent && child && prompt.includes(question)) {
        sent = true;
        child.kill(signal);
      }
    },
  };
}

let png: string;
before(async () => {
  png = join(root, 'picture.png');
  await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 10, g: 200, b: 10 } } })
    .png()
    .toFile(png);
});

const judgeArgs = (server: ScriptedJudge) => ['--endpoint', server.url, '--model-name', 'scripted'];

describe('r1-reward rank', () => {
  it('ranks --candidate answers and prints the ranking as JSON', async () => {
    const server = await ruleServer();
    const qualities = [2, 4, 1, 3];
    const args = [
      'rank',
      '--image',
      png,
      '--question',
      'What is shown?',
      '--scheme',
      'round-robin',
      '-k',
      '3',
    ];
    for (const q of qualities) args.push('--candidate', `an answer with q=${q}`);
    const done = await run([...args, ...judgeArgs(server), '--json']);
    assert.equal(done.code, 0, done.stderr);
    const ranking = JSON.parse(done.stdout) as Ranking & { texts: string[] };
    assert.deepEqual(ranking.ranked, [1, 3, 0, 2]);
    assert.equal(ranking.best, 1);
    assert.equal(ranking.calls.requests, 12);
    assert.equal(server.log.length, 12, 'one request per order (n = k)');
    assert.ok(server.log.every((e) => e.body.n === 3));
    const image = server.log[0]!.body.messages[0]!.content[0]!;
    assert.ok(image.type === 'image_url' && image.image_url.url.startsWith('data:image/png;base64,'));
    assert.equal(ranking.texts[1], 'an answer with q=4');
  });

  it('reads --candidates from a JSON array or one per line, and prints a table', async () => {
    const server = await ruleServer();
    const json = join(root, 'candidates.json');
    writeFileSync(json, JSON.stringify(['first q=1', 'second,\nover two lines q=3', 'third q=2']));
    const lines = join(root, 'candidates.txt');
    writeFileSync(lines, 'first q=1\n\nsecond q=3\nthird q=2\n');
    for (const file of [json, lines]) {
      const done = await run([
        ...['rank', '--question', 'Which?', '--candidates', file, '--scheme', 'sort', '-k', '1'],
        ...judgeArgs(server),
      ]);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /sort over 3 candidates \(k = 1, both orders, seed 0\): best is candidate 1/);
      assert.match(done.stdout, /^1 {5}1 {5}1\.000/m);
      assert.match(done.stdout, /position consistency 100\.0 %/);
    }
  });

  it('explains what is missing: candidates, a reference, a ranking order', async () => {
    const server = await ruleServer();
    const base = ['rank', '--question', 'Which?', ...judgeArgs(server)];
    const none = await run(base);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /give the candidates: --candidate TEXT/);
    const noReference = await run([...base, '--candidate', 'a', '--scheme', 'reference']);
    assert.match(noReference.stderr, /--scheme reference needs --reference TEXT/);
    const order = await run([...base, '--candidate', 'a', '--order', 'fixed']);
    assert.notEqual(order.code, 0);
    assert.match(order.stderr, /Allowed choices are both, random/);
  });
});

/** A best-of-n data file: `count` items of four candidates, images relative except one absolute. */
function dataset(name: string, count: number): { data: string; images: string } {
  const dir = join(root, name);
  const images = join(dir, 'pictures');
  mkdirSync(images, { recursive: true });
  writeFileSync(join(images, 'a.png'), readFileSync(png));
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      id: `item-${i}`,
      images: i === 0 ? [png] : ['a.png'],
      question: `Question ${i}?`,
      candidates: [0, 1, 2, 3].map((c) => `candidate ${c} of ${i}: q=${(c + i) % 4}`),
    }),
  );
  const data = join(dir, 'items.jsonl');
  writeFileSync(data, `${lines.join('\n')}\n`);
  return { data, images };
}

const readRows = (out: string) =>
  readFileSync(join(out, 'rankings.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as BestOfNRow);

describe('r1-reward best-of-n', () => {
  it('ranks every item, resumes after a kill, repairs a torn line, and summarises', async () => {
    // Killed when item 6 starts: with 2 items in flight, the other five of items 0–5 are on disk.
    const interrupt = interruptAt('Question 6?', 'SIGKILL');
    const server = await ruleServer(interrupt.onRequest);
    const { data, images } = dataset('resume', 12);
    const out = join(root, 'resume-run');
    const args = ['best-of-n', '--data', data, '--images-root', images, '--out', out, '--scheme', 'knockout'];
    args.push('-k', '1', '--concurrency', '2', ...judgeArgs(server));
    const first = cli(args);
    interrupt.attach(first.child);
    assert.equal((await first.done).code, null, 'killed, not finished');
    const before = readRows(out).length;
    assert.ok(before >= 5 && before <= 6, `${before} ranked before the kill`);

    const second = await run(args);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`12/12 items ranked \\(${12 - before} now, ${before} from earlier runs\\)`),
    );
    const rows = readRows(out);
    assert.deepEqual(rows.map((r) => r.id).sort(), Array.from({ length: 12 }, (_, i) => `item-${i}`).sort());
    for (const [i, row] of rows.map((r) => [Number(r.id.slice(5)), r] as const)) {
      assert.equal(row.best, (((3 - i) % 4) + 4) % 4, `${row.id}: the candidate with q=3 wins`);
      assert.equal(row.calls.requests, 6);
      assert.equal(row.scores.length, 4);
      assert.equal(row.strengths.length, 4);
    }
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as BestOfNSummary;
    assert.equal(summary.items, 12);
    assert.equal(summary.meanCalls.requests, 6);
    assert.equal(summary.consistency.rate, 1);
    assert.equal(summary.unparseable.count, 0);
    const record = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.equal(record.command, 'best-of-n');
    assert.equal(record.config.settings.scheme, 'knockout');
    assert.equal(record.seed, 0);

    // A torn last line (a crash mid-write) is cut off and that item ranked again, from the cache.
    const text = readFileSync(join(out, 'rankings.jsonl'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(join(out, 'rankings.jsonl'), `${text.slice(0, -1).join('\n')}\n`);
    appendFileSync(join(out, 'rankings.jsonl'), text.at(-1)!.slice(0, 30));
    const requests = server.log.length;
    const third = await run(args);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /cut off a torn last line/);
    assert.match(third.stderr, /12\/12 items ranked \(1 now, 11 from earlier runs\)/);
    assert.equal(server.log.length, requests, 'the re-ranked item came from the cache');
    assert.equal(readRows(out).length, 12);
  });

  it('stops cleanly on Ctrl-C (SIGINT) with every line whole, and the rerun finishes', async () => {
    const interrupt = interruptAt('Question 4?', 'SIGINT');
    const server = await ruleServer(interrupt.onRequest);
    const { data, images } = dataset('sigint', 10);
    const out = join(root, 'sigint-run');
    const args = ['best-of-n', '--data', data, '--images-root', images, '--out', out, '--scheme', 'swiss'];
    args.push('-k', '2', '--concurrency', '2', ...judgeArgs(server));
    const first = cli(args);
    interrupt.attach(first.child);
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /stopped; rerun the same command to resume/);
    assert.ok(readFileSync(join(out, 'rankings.jsonl'), 'utf8').endsWith('\n'));
    const second = await run(args);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(new Set(readRows(out).map((r) => r.id)).size, 10);
    assert.equal(readRows(out).length, 10);
  });

  it('refuses to resume with other settings', async () => {
    const server = await ruleServer();
    const { data, images } = dataset('settings', 2);
    const out = join(root, 'settings-run');
    const base = [
      'best-of-n',
      '--data',
      data,
      '--images-root',
      images,
      '--out',
      out,
      '-k',
      '1',
      ...judgeArgs(server),
    ];
    assert.equal((await run([...base, '--scheme', 'swiss'])).code, 0);
    const other = await run([...base, '--scheme', 'sort']);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /was started with settings\.scheme = "swiss", not "sort"/);
  });

  it('names file, line and field of a bad data line', async () => {
    const server = await ruleServer();
    const dir = join(root, 'bad');
    mkdirSync(dir, { recursive: true });
    const data = join(dir, 'items.jsonl');
    const good = { id: 'a', images: [], question: 'q', candidates: ['x', 'y'] };
    const cases: [unknown, RegExp][] = [
      [
        { ...good, candidates: 'x' },
        /items\.jsonl:2: field 'candidates': expected array, got the string "x"/,
      ],
      [{ ...good, id: undefined }, /items\.jsonl:2: field 'id': missing \(expected string\)/],
      [good, /items\.jsonl:2: field 'id': duplicate of line 1/],
    ];
    for (const [line, message] of cases) {
      writeFileSync(data, `${JSON.stringify(good)}\n${JSON.stringify(line)}\n`);
      const done = await run(['best-of-n', '--data', data, '--out', join(dir, 'out'), ...judgeArgs(server)]);
      assert.equal(done.code, 1);
      assert.match(done.stderr, message);
    }
    writeFileSync(data, `${JSON.stringify(good)}\n`);
    const noReference = await run([
      ...['best-of-n', '--data', data, '--out', join(dir, 'out'), '--scheme', 'reference'],
      ...judgeArgs(server),
    ]);
    assert.match(noReference.stderr, /items\.jsonl:1: field 'reference': missing/);
  });

  it('records an item whose image is missing in errors.jsonl and ranks the rest', async () => {
    const server = await ruleServer();
    const { data, images } = dataset('missing', 3);
    rmSync(join(images, 'a.png'));
    const out = join(root, 'missing-run');
    const done = await run([
      'best-of-n',
      '--data',
      data,
      '--out',
      out,
      '--images-root',
      images,
      ...judgeArgs(server),
    ]);
    assert.equal(done.code, 1);
    assert.match(done.stderr, /2 items failed/);
    assert.equal(readRows(out).length, 1, 'the item with the absolute image path');
    const errors = readFileSync(join(out, 'errors.jsonl'), 'utf8');
    assert.match(errors, /item-1: image .*a\.png: file not found/);
  });
});
