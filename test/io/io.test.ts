import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { JsonlAppender, writeJsonAtomic } from '../../src/io/atomic-write.js';
import { makeRunRecord, openRunRecord, saveRunRecord } from '../../src/io/run-record.js';
import { learningRate } from '../../src/train/schedule.js';

describe('durable output', () => {
  it('writes files atomically and leaves no temp file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-io-'));
    const path = join(dir, 'nested', 'a.json');
    writeJsonAtomic(path, { a: 1 });
    writeJsonAtomic(path, { a: 2 });
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { a: 2 });
    assert.deepEqual(readdirSync(join(dir, 'nested')), ['a.json']);
  });

  it('appends one JSON line per record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-io-'));
    const log = new JsonlAppender(join(dir, 'log.jsonl'));
    log.append({ step: 1 });
    log.append({ step: 2 });
    log.close();
    const again = new JsonlAppender(join(dir, 'log.jsonl'));
    again.append({ step: 3 });
    again.close();
    const lines = readFileSync(join(dir, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step);
    assert.deepEqual(lines, [1, 2, 3]);
  });

  it('records config, seed, versions and git commit of a run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-io-'));
    const record = makeRunRecord('train rl', { lr: 1e-3 }, 7);
    saveRunRecord(dir, record);
    const saved = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    assert.equal(saved.seed, 7);
    assert.deepEqual(saved.config, { lr: 1e-3 });
    assert.equal(saved.versions.node, process.version);
    assert.ok(saved.gitCommit === null || /^[0-9a-f]{40}$/.test(saved.gitCommit));
  });

  it('openRunRecord writes run.json once, continues the same config, refuses another one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-io-'));
    const config = { outDir: dir, lr: 1e-3, world: { kinds: ['cell'], size: 4 } };
    const options = { seed: 7, mayDiffer: ['outDir'], sameAs: 'the same --lr' };
    const first = openRunRecord(dir, 'demo', config, options);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')), first);
    // The same config (in another key order, from another folder) continues the run: run.json stays.
    const moved = { world: { size: 4, kinds: ['cell'] }, lr: 1e-3, outDir: '/elsewhere' };
    assert.deepEqual(openRunRecord(dir, 'demo', moved, options), first);
    const refusals: [string, object, RegExp][] = [
      [
        'demo',
        { ...config, world: { kinds: ['cell'], size: 5 } },
        /was started with world\.size = 4, not 5; rerun with the same --lr to continue it, or give a new --out folder/,
      ],
      ['demo', { ...config, lr: undefined }, /was started with lr = 0\.001, not unset/],
      ['demo', { ...config, extra: true }, /was started with extra = unset, not true/],
      ['best-of-n', config, /holds a 'demo' run, not 'best-of-n'; give a new --out folder/],
    ];
    for (const [command, other, message] of refusals)
      assert.throws(
        () => openRunRecord(dir, command, other, options),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
        `${command} ${JSON.stringify(other)}`,
      );
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')),
      first,
      'a refusal writes nothing',
    );
    writeFileSync(join(dir, 'run.json'), '{"command": "demo", "conf');
    assert.throws(
      () => openRunRecord(dir, 'demo', config, options),
      /run\.json is damaged .*restore it, or give a new --out folder/,
    );
  });
});

describe('learningRate (spec §4.6)', () => {
  const schedule = { lr: 1e-3, totalSteps: 100 };
  it('warms up linearly over 3 % of the steps, then decays by cosine to 0.1 × lr', () => {
    assert.ok(Math.abs(learningRate(schedule, 0) - 1e-3 / 3) < 1e-15);
    assert.ok(Math.abs(learningRate(schedule, 2) - 1e-3) < 1e-15);
    assert.ok(Math.abs(learningRate(schedule, 3) - 1e-3) < 1e-15);
    assert.ok(Math.abs(learningRate(schedule, 99) - 1e-4) < 1e-12);
    for (let s = 4; s < 100; s++) assert.ok(learningRate(schedule, s) <= learningRate(schedule, s - 1));
  });
  it('rejects bad settings', () => {
    assert.throws(() => learningRate({ lr: -1, totalSteps: 10 }, 0), /lr must be a positive number/);
    assert.throws(() => learningRate(schedule, -1), /step must be an integer/);
  });
});
