import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { parseJudgement } from '../../src/algo/index.js';
import { Rng } from '../../src/algo/random.js';
import {
  attributePairs,
  benchmarkErrorKinds,
  CELL_NAMES,
  claimHolds,
  DEFAULT_WORLD,
  describeScene,
  ERROR_KINDS,
  generateSample,
  type Hardness,
  makeProblem,
  onlyKinds,
  perceiveScene,
  QUESTION_KINDS,
  r1SampleToPair,
  readBenchmark,
  readR1RewardData,
  renderPixels,
  runTeacher,
  type SyntheticWorldConfig,
  silhouetteMargin,
  validateWorldConfig,
  writeSyntheticWorld,
} from '../../src/data/index.js';
import { tempFolder } from './fixtures.js';

const dir = tempFolder('synthetic');
const small: SyntheticWorldConfig = { ...DEFAULT_WORLD, seed: 7, trainSize: 120, benchmarkSize: 20 };

function readJsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function folderBytes(folder: string, prefix = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(join(folder, prefix), { withFileTypes: true })) {
    const name = join(prefix, entry.name);
    if (entry.isDirectory()) for (const [k, v] of folderBytes(folder, name)) out.set(k, v);
    else out.set(name, readFileSync(join(folder, name)));
  }
  return out;
}

const worldA = join(dir, 'a');
const summaryA = await writeSyntheticWorld(worldA, small);

describe('synthetic world: determinism', () => {
  it('writes byte-identical folders for the same seed, different ones for another seed', async () => {
    const worldB = join(dir, 'b');
    await writeSyntheticWorld(worldB, small);
    const [a, b] = [folderBytes(worldA), folderBytes(worldB)];
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs between runs`);
    assert.equal(a.size, 120 + 20 + 6, 'images + 6 files');
    const other = generateSample({ ...small, seed: 8 }, 'train', 0);
    assert.notDeepEqual(other.scene, generateSample(small, 'train', 0).scene);
  });

  it('a sample depends only on (seed, split, index), not on N', () => {
    const big = { ...small, trainSize: 5000 };
    for (const i of [0, 17, 119])
      assert.deepEqual(generateSample(big, 'train', i), generateSample(small, 'train', i));
  });

  it('refuses a non-empty output folder and bad config with the field named', async () => {
    await assert.rejects(
      writeSyntheticWorld(worldA, small),
      /output folder .* is not empty; choose a new folder \(nothing was written\)/,
    );
    assert.throws(
      () => validateWorldConfig({ ...small, imageSize: 24 }),
      /imageSize must be an integer in \[32, 1024\]/,
    );
    assert.throws(
      () =>
        validateWorldConfig({
          ...small,
          teacher: { errorByHardness: [0, 0.5, 2], maxAttempts: 3, describeScene: true },
        }),
      /teacher\.errorByHardness must be 3 probabilities/,
    );
    assert.throws(
      () => validateWorldConfig({ ...small, teacher: { ...small.teacher, attributePairs: true } }),
      /teacher\.attributePairs compares on the looked-at cell: set teacher\.lookAtCell/,
    );
  });
});

describe('synthetic world: responses and images', () => {
  it('every faithful claim holds and every flawed response contradicts the scene, as seen in the pixels', () => {
    for (const size of [32, 48]) {
      const config = { ...small, imageSize: size };
      for (let i = 0; i < 300; i++) {
        const s = generateSample(config, i < 200 ? 'train' : 'benchmark', i);
        const seen = perceiveScene(renderPixels(s.scene, size), size);
        const key = (objects: typeof s.scene.objects) =>
          objects
            .map((o) => `${o.cell}:${o.size}-${o.color}-${o.shape}`)
            .sort()
            .join(' ');
        assert.equal(
          key(seen.objects),
          key(s.scene.objects),
          `${s.id} at ${size}px: the image shows the scene`,
        );
        for (const claim of s.faithful) assert.ok(claimHolds(seen, claim), `${s.id}: faithful claim holds`);
        assert.ok(!claimHolds(seen, s.flawed[s.slip]!), `${s.id}: the slip contradicts the image`);
        assert.equal(
          s.flawed.filter((c, j) => JSON.stringify(c) !== JSON.stringify(s.faithful[j])).length,
          1,
          'one slip',
        );
        assert.notEqual(s.faithfulText, s.flawedText);
      }
    }
  });

  it('gives a text-only judge no edge: the flaw is only visible in the image', () => {
    // Naive Bayes on words and word pairs (conditioned on question words), trained on 4,000 training
    // samples, scored on 1,000 held-out pairs: it must stay at chance (±4σ).
    const features = (question: string, response: string) => {
      const words = response.toLowerCase().replace(/[.,]/g, ' $&').split(/\s+/).filter(Boolean);
      const out = new Set(words);
      for (let i = 1; i < words.length; i++) out.add(`${words[i - 1]} ${words[i]}`);
      for (const q of question.toLowerCase().split(' ')) for (const w of words) out.add(`${q}|${w}`);
      return out;
    };
    const good = new Map<string, number>();
    const bad = new Map<string, number>();
    const add = (table: Map<string, number>, f: Set<string>) => {
      for (const k of f) table.set(k, (table.get(k) ?? 0) + 1);
    };
    const config = { ...small, seed: 11 };
    for (let i = 0; i < 4000; i++) {
      const s = generateSample(config, 'train', i);
      add(good, features(s.question, s.faithfulText));
      add(bad, features(s.question, s.flawedText));
    }
    const score = (f: Set<string>) =>
      [...f].reduce((sum, k) => sum + Math.log(((good.get(k) ?? 0) + 1) / ((bad.get(k) ?? 0) + 1)), 0);
    let right = 0;
    const n = 1000;
    for (let i = 0; i < n; i++) {
      const s = generateSample(config, 'benchmark', i);
      if (score(features(s.question, s.faithfulText)) > score(features(s.question, s.flawedText))) right++;
    }
    assert.ok(Math.abs(right / n - 0.5) <= 4 * Math.sqrt(0.25 / n), `text-only accuracy ${right / n}`);
  });

  it('keeps shapes and sizes apart by several pixels at 32×32 and 48×48', () => {
    assert.ok(silhouetteMargin(32) >= 8);
    assert.ok(silhouetteMargin(48) >= 16);
  });

  it('makes every kind at every hardness, and harder long descriptions longer', () => {
    for (const kind of QUESTION_KINDS) {
      for (const h of [0, 1, 2] as Hardness[]) {
        const p = makeProblem(Rng.stream(3, kind, h), kind, h);
        assert.ok(p.question.endsWith('?') || p.question.startsWith('Describe'));
      }
    }
    const words = (h: Hardness) =>
      makeProblem(Rng.stream(1, 'long', h), 'long-description', h).faithfulText.split(' ').length;
    assert.ok(words(0) < words(1) && words(1) < words(2));
  });

  it('renders PNGs of the configured size', async () => {
    const meta = await sharp(join(worldA, 'images', 'train-000000.png')).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 48, 48]);
  });
});

describe('synthetic world: teacher and splits', () => {
  it('errs at the configured rate for each hardness, and records attempts as difficulty', () => {
    const draws = 4000;
    for (const h of [0, 1, 2] as Hardness[]) {
      const p = DEFAULT_WORLD.teacher.errorByHardness[h];
      const runs = Array.from({ length: draws }, (_, i) =>
        runTeacher(Rng.stream(5, 'teacher-test', h, i), h),
      );
      const firstErrors = runs.filter((r) => !r.attempts[0]).length / draws;
      const tolerance = 4 * Math.sqrt((p * (1 - p)) / draws) + 1e-3;
      assert.ok(
        Math.abs(firstErrors - p) <= tolerance,
        `hardness ${h}: error ${firstErrors} vs ${p} ± ${tolerance}`,
      );
      const failed = runs.filter((r) => r.difficulty === 'failed').length / draws;
      assert.ok(
        Math.abs(failed - p ** 3) <= 4 * Math.sqrt((p ** 3 * (1 - p ** 3)) / draws) + 1e-3,
        `hardness ${h}: failed ${failed}`,
      );
      for (const r of runs) {
        assert.equal(r.attempts.length, r.difficulty === 'failed' ? 3 : r.difficulty);
        assert.equal(r.attempts.at(-1), r.difficulty !== 'failed');
      }
    }
  });

  it('SFT holds the right traces, RL exactly the hard samples, both balanced 1:1 in gold position', async () => {
    const samples = readJsonl(join(worldA, 'samples.jsonl'));
    const sft = readJsonl(join(worldA, 'sft.jsonl'));
    const rl = readJsonl(join(worldA, 'rl.jsonl'));
    assert.deepEqual(
      sft.map((r) => r['id']),
      samples.filter((s) => s['difficulty'] !== 'failed').map((s) => s['id']),
    );
    assert.deepEqual(
      rl.map((r) => r['id']),
      samples.filter((s) => s['difficulty'] !== 1).map((s) => s['id']),
    );
    assert.ok(rl.length > 0 && rl.length < samples.length);
    for (const split of [sft, rl]) {
      const ones = split.filter((r) => (r['answer'] as string[])[0] === '<answer>1</answer>').length;
      assert.ok(Math.abs(2 * ones - split.length) <= 1, `gold position 1 in ${ones} of ${split.length}`);
    }
    for (const record of sft) {
      const trace = record['response'] as string;
      const judged = parseJudgement(trace);
      assert.ok(judged.strictFormat, trace);
      assert.equal(`<answer>${judged.choice}</answer>`, (record['answer'] as string[])[0]);
      assert.match(
        trace,
        new RegExp(`so response ${judged.choice} is better\\.</think><answer>${judged.choice}</answer>$`),
      );
    }
    assert.deepEqual(summaryA.goldPositions.sft[1] + summaryA.goldPositions.sft[2], sft.length);
    assert.equal(summaryA.counts.rl, rl.length);
  });

  it('SFT traces open with a description of every object of the scene, in reading order', async () => {
    for (const record of readJsonl(join(worldA, 'sft.jsonl')).slice(0, 40)) {
      const truth = generateSample(small, 'train', Number(String(record['id']).slice(-6)));
      const first = (record['response'] as string).split('\n')[0]!;
      assert.equal(first, `<think>In the image: ${describeScene(truth.scene)}.`);
      assert.equal(first.split('; ').length, truth.scene.objects.length, first);
      const verdicts = (record['response'] as string).match(/This (?:matches|does not match) the image\./g);
      assert.deepEqual(verdicts?.length, 2);
    }
    assert.equal(
      describeScene({
        objects: [
          { shape: 'circle', color: 'red', size: 'small', cell: 8 },
          { shape: 'square', color: 'blue', size: 'large', cell: 0 },
        ],
      }),
      'top left: a large blue square; bottom right: a small red circle',
    );
    // A 10-sample world whose teacher differs from the default in `teacher`; returns its sft.jsonl.
    const variant = async (name: string, teacher: Partial<typeof small.teacher>) => {
      await writeSyntheticWorld(join(dir, name), {
        ...small,
        trainSize: 10,
        benchmarkSize: 0,
        teacher: { ...small.teacher, ...teacher },
      });
      return join(dir, name, 'sft.jsonl');
    };
    for await (const sample of readR1RewardData(await variant('quoting', { quoteResponses: true }))) {
      const lines = (sample.extra['response'] as string).split('\n');
      assert.ok(lines[1]!.startsWith(`Response 1: ${sample.response1} This `), lines[1]);
      assert.ok(lines[2]!.startsWith(`Response 2: ${sample.response2} This `), lines[2]);
    }
    for (const record of readJsonl(await variant('plain', { describeScene: false })))
      assert.match(record['response'] as string, /^<think>Response 1: /);
  });

  it('cell questions: one object claim at an occupied cell, and lookAtCell puts what is there beside it', async () => {
    const config = {
      ...small,
      kindWeights: onlyKinds(['cell']),
      teacher: { ...small.teacher, lookAtCell: true },
    };
    const changed = { 0: 0, 1: 0, 2: 0 };
    for (let i = 0; i < 150; i++) {
      const s = generateSample(config, 'train', i);
      assert.equal(s.kind, 'cell');
      const [real, fake] = [s.faithful[0]!, s.flawed[0]!];
      assert.ok(real.type === 'object' && fake.type === 'object' && real.cell === fake.cell);
      assert.match(s.question, /^What is (at the [a-z ]+|in the center)\?$/);
      const differ = (['color', 'shape', 'size'] as const).filter((a) => real[a] !== fake[a]);
      // hardness 0: colour and shape; 1: one of them; 2: the size alone
      assert.deepEqual(differ.length, s.hardness === 0 ? 2 : 1, JSON.stringify([real, fake]));
      if (s.hardness === 2) assert.deepEqual(differ, ['size']);
      changed[s.hardness]++;
    }
    assert.ok(changed[0] > 0 && changed[1] > 0 && changed[2] > 0);
    // The benchmark tests only the error kind cell questions carry.
    assert.deepEqual(benchmarkErrorKinds(config), ['attribute']);
    assert.deepEqual(benchmarkErrorKinds(small), [...ERROR_KINDS]);
    const out = join(dir, 'cells');
    await writeSyntheticWorld(out, { ...config, trainSize: 20, benchmarkSize: 6 });
    assert.ok(readJsonl(join(out, 'benchmark.jsonl')).every((r) => r['category'] === 'attribute'));
    for (const record of readJsonl(join(out, 'sft.jsonl'))) {
      const truth = generateSample(config, 'train', Number(String(record['id']).slice(-6)));
      const claim = truth.faithful[0]!;
      if (claim.type !== 'object') throw new Error('cell claims are object claims');
      const where = CELL_NAMES[claim.cell!];
      const thing = `a ${claim.size} ${claim.color} ${claim.shape}`;
      const gold = (record['answer'] as string[])[0] === '<answer>1</answer>' ? 1 : 2;
      const lines = (record['response'] as string).split('\n');
      assert.equal(
        lines[gold]!,
        `Response ${gold} at the ${where}: ${thing}; in the image: ${thing}. This matches the image.`,
      );
      assert.match(
        lines[3 - gold]!,
        new RegExp(
          `^Response ${3 - gold} at the ${where}: .*; in the image: ${thing}\\. This does not match the image\\.$`,
        ),
      );
    }
  });

  it('attributePairs: each pair side by side and judged, up to the first that differs', async () => {
    const large = { size: 'large', color: 'red', shape: 'circle' } as const;
    assert.equal(attributePairs(large, large), 'large/large same, red/red same, circle/circle same');
    assert.equal(attributePairs(large, { ...large, color: 'blue' }), 'large/large same, red/blue differs');
    assert.equal(attributePairs(large, { ...large, size: 'small', shape: 'square' }), 'large/small differs');
    const config = {
      ...small,
      kindWeights: onlyKinds(['cell']),
      teacher: { ...small.teacher, lookAtCell: true, attributePairs: true },
    };
    const out = join(dir, 'pairs');
    await writeSyntheticWorld(out, { ...config, trainSize: 20, benchmarkSize: 6 });
    for (const record of readJsonl(join(out, 'sft.jsonl'))) {
      const truth = generateSample(config, 'train', Number(String(record['id']).slice(-6)));
      const [real, fake] = [truth.faithful[0]!, truth.flawed[0]!];
      if (real.type !== 'object' || fake.type !== 'object') throw new Error('cell claims are object claims');
      const where = CELL_NAMES[real.cell!];
      const gold = (record['answer'] as string[])[0] === '<answer>1</answer>' ? 1 : 2;
      const lines = (record['response'] as string).split('\n');
      assert.equal(
        lines[gold]!,
        `Response ${gold} at the ${where}: ${real.size}/${real.size} same, ${real.color}/${real.color} same, ${real.shape}/${real.shape} same. This matches the image.`,
      );
      assert.equal(
        lines[3 - gold]!,
        `Response ${3 - gold} at the ${where}: ${attributePairs(fake, real)}. This does not match the image.`,
      );
      assert.match(lines[3 - gold]!, /differs\. This does not/);
    }
  });

  it('SFT traces and labels read back through the R1-Reward reader with checked images', async () => {
    let n = 0;
    for await (const sample of readR1RewardData(join(worldA, 'sft.jsonl'))) {
      const truth = generateSample(small, 'train', Number(sample.id.slice(-6)));
      const pair = r1SampleToPair(sample);
      assert.equal(pair.chosen, truth.faithfulText);
      assert.equal(pair.rejected, truth.flawedText);
      assert.equal(sample.images.length, 1);
      n++;
    }
    assert.equal(n, summaryA.counts.sft);
  });

  it('writes a benchmark split with one balanced category per error kind, readable as a benchmark', async () => {
    const pairs = [];
    for await (const p of readBenchmark('synthetic', join(worldA, 'benchmark.jsonl'))) pairs.push(p);
    assert.equal(pairs.length, 20);
    for (const kind of ERROR_KINDS) assert.equal(pairs.filter((p) => p.category === kind).length, 4, kind);
    const record = readJsonl(join(worldA, 'benchmark.jsonl'))[0]!;
    for (const field of ['id', 'prompt', 'chosen', 'rejected', 'image', 'category'])
      assert.ok(field in record, field);
    const trainIds = new Set(readJsonl(join(worldA, 'samples.jsonl')).map((s) => s['id']));
    assert.ok(pairs.every((p) => !trainIds.has(p.id)));
  });
});

describe('r1-reward data synth', () => {
  it('writes the world and prints counts per split, kind and difficulty', () => {
    const out = join(dir, 'cli');
    const root = new URL('../../', import.meta.url).pathname;
    const synth = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'data', 'synth', ...args], {
        cwd: root,
        encoding: 'utf8',
      });
    const run = synth('--out', out, '--seed', '3', '--n', '30', '--bench-n', '10');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /splits: train 30, sft \d+, rl \d+, benchmark 10/);
    assert.match(run.stdout, /difficulty \(teacher attempts\): 1 \d+, 2 \d+, 3 \d+, failed \d+/);
    assert.match(
      run.stdout,
      /benchmark categories: hallucination 2, count 2, attribute 2, relation 2, long-slip 2/,
    );
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    assert.equal((manifest['config'] as { seed: number }).seed, 3);
    assert.ok(typeof manifest['gitCommit'] === 'string' && typeof manifest['version'] === 'string');
    const again = synth('--out', out);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /is not empty/);
    const badKind = synth('--out', join(dir, 'never'), '--kinds', 'cell,colour');
    assert.notEqual(badKind.status, 0);
    assert.match(badKind.stderr, /unknown question kind 'colour'; expected some of count, existence, .*cell/);
    // A teacher blind to hardness 2: it fails every such sample, so none has a trace and all are RL data.
    const blind = synth(
      '--out',
      join(dir, 'blind'),
      '--n',
      '60',
      '--bench-n',
      '4',
      '--teacher-error',
      '0,0,1',
    );
    assert.equal(blind.status, 0, blind.stderr);
    const rows = (file: string) =>
      readFileSync(join(dir, 'blind', file), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { hardness: number; difficulty: number | string });
    const hard = rows('samples.jsonl').filter((r) => r.hardness === 2).length;
    assert.ok(hard > 0);
    assert.equal(rows('sft.jsonl').filter((r) => r.hardness === 2).length, 0);
    assert.equal(rows('rl.jsonl').length, hard);
    const badError = synth('--out', join(dir, 'never'), '--teacher-error', '0.1,2');
    assert.notEqual(badError.status, 0);
    assert.match(badError.stderr, /--teacher-error takes three probabilities in \[0, 1\]/);
  });

  it('data check counts items per category, and skipped items with --skip-missing', () => {
    const root = new URL('../../', import.meta.url).pathname;
    const copy = join(dir, 'check');
    mkdirSync(join(copy, 'images'), { recursive: true });
    const records = readJsonl(join(worldA, 'benchmark.jsonl')).slice(0, 6);
    writeFileSync(join(copy, 'benchmark.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    for (const r of records.slice(1))
      copyFileSync(join(worldA, r['image'] as string), join(copy, r['image'] as string));
    const check = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'data',
          'check',
          '--benchmark',
          'synthetic',
          '--data',
          join(copy, 'benchmark.jsonl'),
          ...extra,
        ],
        { cwd: root, encoding: 'utf8' },
      );
    const failing = check();
    assert.notEqual(failing.status, 0);
    assert.match(failing.stderr, /error: item syn-bench-000000: image .*bench-000000\.png: file not found/);
    const skipping = check('--skip-missing', '--json');
    assert.equal(skipping.status, 0, skipping.stderr);
    const report = JSON.parse(skipping.stdout) as {
      items: number;
      skipped: number;
      categories: Record<string, number>;
    };
    assert.deepEqual([report.items, report.skipped], [5, 1]);
    assert.equal(
      Object.values(report.categories).reduce((a, b) => a + b, 0),
      5,
    );
  });
});
