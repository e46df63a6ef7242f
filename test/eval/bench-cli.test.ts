// The CLI end to end: real child processes talking to a scripted judge served by this test process.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { JudgedItemRecord } from '../../src/eval/record.js';
import type { Metrics } from '../../src/eval/score.js';
import { cli, runCli as run } from '../cli/run-cli.js';
import {
  type ChatBody,
  promptText,
  type ScriptedJudge,
  startScriptedJudge,
} from '../judge/scripted-judge.js';
import { startCliServer } from '../serve/cli-server.js';
import { writeTinyCheckpoint } from '../serve/tiny-checkpoint.js';

const repo = new URL('../../', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'r1-bench-cli-'));
const servers: ScriptedJudge[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});

let png: Buffer;
before(async () => {
  png = await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 10, g: 200, b: 10 } } })
    .png()
    .toBuffer();
});

/** A VL-RewardBench-copy-shaped file (id, prompt, chosen, rejected, image) with its images. */
function fixture(name: string, count: number): { data: string; images: string } {
  const dir = join(root, name);
  const images = join(dir, 'images');
  const prefixes = ['wildvision', 'RLAIF-V', 'hallucination_pair', 'mathverse', 'vlfeedback'];
  const lines = Array.from({ length: count }, (_, i) => {
    const image = `img/${i}.png`;
    mkdirSync(dirname(join(images, image)), { recursive: true });
    writeFileSync(join(images, image), png);
    return JSON.stringify({
      id: `${prefixes[i % prefixes.length]}_${i}`,
      prompt: `What is in picture ${i}?`,
      chosen: `A GOOD answer ${i}`,
      rejected: `A weak answer ${i}`,
      image,
    });
  });
  const data = join(dir, 'data.jsonl');
  writeFileSync(data, `${lines.join('\n')}\n`);
  return { data, images };
}

function readRecords(dir: string): JudgedItemRecord[] {
  return readFileSync(join(dir, 'judgements.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JudgedItemRecord);
}

/** Waits until `file` has `n` lines: the child writes them, so it is polled (a condition, not a deadline). */
async function linesAtLeast(file: string, n: number): Promise<void> {
  while (!existsSync(file) || readFileSync(file, 'utf8').split('\n').filter(Boolean).length < n)
    await new Promise((r) => setTimeout(r, 20));
}

/**
 * Starts `bench run` on a fixture against a judge that answers the first `lines` pictures and holds
 * every later request, then interrupts it once those `lines` items are written: exactly `lines`
 * items are done when the signal arrives, whatever the machine's speed.
 */
async function interruptedRun(name: string, count: number, k: string, signal: NodeJS.Signals, lines: number) {
  const picture = (body: ChatBody) => Number(/picture (\d+)\?/.exec(promptText(body))?.[1]);
  const server = await startScriptedJudge({ hold: (body) => picture(body) >= lines });
  servers.push(server);
  const { data, images } = fixture(name, count);
  const out = join(root, `${name}-run`);
  const args = ['bench', 'run', '--benchmark', 'vl-rewardbench', '--data', data, '--images-root', images];
  args.push(
    '--endpoint',
    server.url,
    '--model-name',
    'scripted',
    '-k',
    k,
    '--concurrency',
    '3',
    '--out',
    out,
  );
  const first = cli(args);
  await linesAtLeast(join(out, 'judgements.jsonl'), lines);
  await server.whenHeld(1);
  first.child.kill(signal);
  const interrupted = await first.done;
  server.open();
  return { out, args, interrupted };
}

describe('r1-reward bench run / score (CLI)', () => {
  it('resumes after being killed mid-run: no item lost or duplicated', async () => {
    const { out, args, interrupted: killed } = await interruptedRun('kill', 40, '1', 'SIGKILL', 6);
    assert.equal(killed.code, null, 'killed, not finished');
    const before = readRecords(out).length;
    assert.equal(before, 6, 'the six answered items, no more');

    const second = await run(args);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`40/40 items judged \\(${40 - before} now, ${before} from earlier runs\\)`),
    );
    const ids = readRecords(out).map((r) => r.id);
    assert.equal(ids.length, 40);
    assert.equal(new Set(ids).size, 40);
    assert.match(second.stdout, /overall 100\.00 %/);
  });

  it('stops cleanly on Ctrl-C (SIGINT) with every line whole, and the rerun finishes', async () => {
    const { out, args, interrupted: stopped } = await interruptedRun('sigint', 30, '2', 'SIGINT', 4);
    assert.equal(stopped.code, 130);
    assert.match(stopped.stderr, /stopped; rerun the same command to resume/);
    assert.equal(readRecords(out).length, 4, 'the four answered items, no more');
    const text = readFileSync(join(out, 'judgements.jsonl'), 'utf8');
    assert.ok(text.endsWith('\n'));
    const run1 = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.equal(run1.sessions[0].aborted, true);
    const second = await run(args);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(new Set(readRecords(out).map((r) => r.id)).size, 30);
    assert.equal(readRecords(out).length, 30);
  });

  it('scores with --protocol and --min-accuracy (exit 3 below it), and prints --json metrics', async () => {
    const server = await startScriptedJudge();
    servers.push(server);
    const { data, images } = fixture('score', 10);
    const out = join(root, 'score-run');
    const done = await run([
      ...['bench', 'run', '--benchmark', 'vl-rewardbench', '--data', data, '--images-root', images],
      ...['--endpoint', server.url, '--model-name', 'scripted', '-k', '3', '--order', 'fixed', '--out', out],
    ]);
    assert.equal(done.code, 0, done.stderr);
    const pass = await run(['bench', 'score', out, '--min-accuracy', '0.9', '--json']);
    assert.equal(pass.code, 0);
    const metrics = JSON.parse(pass.stdout) as Metrics;
    assert.equal(metrics.overall, 1);
    assert.deepEqual(metrics.votingAtK, { 1: 1, 2: 1, 3: 1 });
    // Official groups: wildvision/vlfeedback → general; RLAIF-V and hallucination → hallucination; mathverse → reasoning
    assert.deepEqual(Object.fromEntries(Object.entries(metrics.categories).map(([n, c]) => [n, c.items])), {
      general: 4,
      hallucination: 4,
      reasoning: 2,
    });
    const compat = await run(['bench', 'score', out, '--protocol', 'r1-compat', '--json']);
    const compatMetrics = JSON.parse(compat.stdout) as Metrics;
    // r1-compat puts the upper-case RLAIF-V ids into general
    assert.deepEqual(
      Object.fromEntries(Object.entries(compatMetrics.categories).map(([n, c]) => [n, c.items])),
      { general: 6, hallucination: 2, reasoning: 2 },
    );
    assert.ok(existsSync(join(out, 'report.r1-compat.html')));
    const bad = await run(['bench', 'score', out, '--min-accuracy', '70']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /fraction in \[0, 1\]/);
  });

  it('gives clear errors: missing endpoint, a missing --checkpoint, bad template, no run directory', async () => {
    const { data, images } = fixture('errors', 2);
    const base = [
      'bench',
      'run',
      '--benchmark',
      'vl-rewardbench',
      '--data',
      data,
      '--images-root',
      images,
      '--out',
      join(root, 'e'),
    ];
    const noEndpoint = await run(base);
    assert.equal(noEndpoint.code, 1);
    assert.match(noEndpoint.stderr, /^error: give --endpoint URL/m);
    const local = await run([...base, '--checkpoint', 'ckpt']);
    assert.match(local.stderr, /checkpoint .*ckpt cannot be loaded:\n {2}- the directory does not exist/);
    const device = await run([
      ...base,
      '--device',
      'cuda',
      '--endpoint',
      'http://127.0.0.1:9/v1',
      '--model-name',
      'm',
    ]);
    assert.match(device.stderr, /^error: --device places the in-process model: use it with --checkpoint/m);
    const badDevice = await run([...base, '--checkpoint', 'ckpt', '--device', 'gpu']);
    assert.match(badDevice.stderr, /--device: unknown device 'gpu': use 'cpu', 'cuda' or 'cuda:N'/);
    writeFileSync(join(root, 'bad-template.txt'), 'Q {question} only');
    const template = await run([
      ...base,
      '--endpoint',
      'http://127.0.0.1:9/v1',
      '--model-name',
      'm',
      '--template',
      join(root, 'bad-template.txt'),
    ]);
    assert.match(template.stderr, /bad-template\.txt lacks \{answer1\}, \{answer2\}/);
    const noRun = await run(['bench', 'score', join(root, 'nowhere')]);
    assert.match(noRun.stderr, /has no run\.json: give the --out directory/);
  });

  it('--skip-missing skips and counts an item whose image path leaves the images folder', async () => {
    const server = await startScriptedJudge();
    servers.push(server);
    const { data, images } = fixture('escape', 3);
    const rows = readFileSync(data, 'utf8').split('\n').filter(Boolean);
    rows[1] = JSON.stringify({ ...JSON.parse(rows[1]!), image: '../../../etc/hostname' });
    writeFileSync(data, `${rows.join('\n')}\n`);
    const args = ['bench', 'run', '--benchmark', 'vl-rewardbench', '--data', data, '--images-root', images];
    args.push('--endpoint', server.url, '--model-name', 'scripted', '--order', 'fixed');
    const stopped = await run([...args, '--out', join(root, 'escape-stop')]);
    assert.equal(stopped.code, 1);
    assert.match(
      stopped.stderr,
      /^error: path "\.\.\/\.\.\/\.\.\/etc\/hostname" escapes the images root .*--images-root.*--skip-missing/m,
    );
    const skipped = await run([...args, '--skip-missing', '--out', join(root, 'escape-skip')]);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stderr, /2\/2 items judged/);
    assert.match(skipped.stderr, /^1 item skipped \(--skip-missing\)/m);
  });

  // The committed extract on every clone; the full file in ../shared/data as well where it is present.
  const fullCopy = join(repo, '../shared/data/vl-rewardbench.r1-copy.jsonl');
  const copies: [string, { official: Record<string, number>; r1Compat: Record<string, number> }][] = [
    [
      join(repo, 'test/fixtures/benchmarks/vl-rewardbench.r1-copy.extract.jsonl'),
      {
        official: { general: 10, hallucination: 13, reasoning: 12 },
        r1Compat: { general: 17, hallucination: 6, reasoning: 12 },
      },
    ],
    ...(existsSync(fullCopy)
      ? [
          [
            fullCopy,
            {
              official: { general: 183, hallucination: 749, reasoning: 318 },
              r1Compat: { general: 484, hallucination: 448, reasoning: 318 },
            },
          ] as [string, { official: Record<string, number>; r1Compat: Record<string, number> }],
        ]
      : []),
  ];
  for (const [vlCopy, split] of copies)
    it(`judges ${basename(vlCopy)} end to end (fixture images) and scores both splits`, async () => {
      // The scripted judge prefers the longer response; the expected accuracy follows from the data alone.
      const server = await startScriptedJudge({ prefer: 'longer' });
      servers.push(server);
      const rows = readFileSync(vlCopy, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string; chosen: string; rejected: string; image: string });
      const images = join(root, `vl-images-${basename(vlCopy)}`);
      for (const image of new Set(rows.map((r) => r.image))) {
        mkdirSync(dirname(join(images, image)), { recursive: true });
        writeFileSync(join(images, image), png);
      }
      const out = join(root, `vl-run-${basename(vlCopy)}`);
      const done = await run([
        ...['bench', 'run', '--benchmark', 'vl-rewardbench', '--data', vlCopy, '--images-root', images],
        ...['--endpoint', server.url, '--model-name', 'scripted', '-k', '1', '--order', 'fixed'],
        ...['--concurrency', '16', '--out', out],
      ]);
      assert.equal(done.code, 0, done.stderr);
      const expected = rows.filter((r) => r.chosen.length >= r.rejected.length).length / rows.length;
      const items = (m: Metrics) =>
        Object.fromEntries(Object.entries(m.categories).map(([n, c]) => [n, c.items]));
      const official = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Metrics;
      assert.equal(official.items, rows.length);
      assert.equal(official.overall, expected);
      assert.deepEqual(items(official), split.official);
      const compat = await run(['bench', 'score', out, '--protocol', 'r1-compat', '--json']);
      const metrics = JSON.parse(compat.stdout) as Metrics;
      assert.equal(metrics.overall, expected);
      assert.deepEqual(items(metrics), split.r1Compat);
    });
});

describe('bench run against serve --checkpoint (a model trained here, out of the box)', () => {
  it('judges every item: the server reads the released prompt in the checkpoint’s template', async () => {
    const server = await startCliServer(['serve', '--checkpoint', writeTinyCheckpoint(3)]);
    try {
      const { data, images } = fixture('served', 3);
      const out = join(root, 'served-run');
      // Released defaults (prompt, --max-tokens 4096): nothing written for the small model by hand.
      const done = await run([
        ...['bench', 'run', '--benchmark', 'vl-rewardbench', '--data', data, '--images-root', images],
        ...['--endpoint', `${server.url}/v1`, '--model-name', 'tiny-judge', '--order', 'fixed', '--out', out],
      ]);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stderr, /3\/3 items judged \(3 now, 0 from earlier runs\), 0 errors/);
      assert.equal(readRecords(out).length, 3);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});

describe('r1-reward judge (CLI)', () => {
  it('judges two responses with images, in both orders, as JSON and as text', async () => {
    const server = await startScriptedJudge();
    servers.push(server);
    const image = join(root, 'cat.png');
    writeFileSync(image, png);
    writeFileSync(join(root, 'r2.txt'), 'A weak answer');
    const args = ['judge', '--image', image, '--question', 'What animal?', '--response1', 'A GOOD cat'];
    args.push(
      '--response2',
      `@${join(root, 'r2.txt')}`,
      '--endpoint',
      server.url,
      '--model-name',
      'scripted',
    );
    const json = await run([...args, '-k', '3', '--order', 'both', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout);
    assert.equal(result.preferred, 1);
    assert.deepEqual(result.votes, { response1: 6, response2: 0, unparseable: 0 });
    assert.equal(result.consistent, true);
    assert.deepEqual(
      result.judgements.map((j: { response1ShownAs: number }) => j.response1ShownAs),
      [1, 2],
    );
    assert.match(result.analysis, /grounded in the image/);
    const sent = server.log.at(-1)!.body.messages[0]!.content;
    assert.equal(sent[0]!.type, 'image_url');
    assert.match((sent[0] as { image_url: { url: string } }).image_url.url, /^data:image\/png;base64,/);

    const text = await run([...args, '-k', '1']);
    assert.equal(text.code, 0, text.stderr);
    const undecided = await run([...args.map((a) => (a === 'What animal?' ? 'MALFORMED' : a)), '-k', '1']);
    assert.equal(undecided.code, 4, 'exit code 4: no majority');
    assert.match(undecided.stdout, /^no majority/);
    assert.match(
      text.stdout,
      /^Response 1 is better \(Voting@1: 1 for response 1, 0 for response 2, 0 unparseable\)/,
    );
  });

  it('explains a missing image file, and refuses --order stored', async () => {
    const out = await run([
      ...[
        'judge',
        '--image',
        join(root, 'nope.png'),
        '--question',
        'q',
        '--response1',
        'a',
        '--response2',
        'b',
      ],
      ...['--endpoint', 'http://127.0.0.1:9/v1', '--model-name', 'm'],
    ]);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^error: .*nope\.png/m);
    const stored = await run([
      ...['judge', '--question', 'q', '--response1', 'a', '--response2', 'b', '--order', 'stored'],
      ...['--endpoint', 'http://127.0.0.1:9/v1', '--model-name', 'm'],
    ]);
    assert.match(stored.stderr, /--order stored is for benchmarks/);
  });
});
