import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  DataFormatError,
  ImageError,
  PathEscapeError,
  type PreferencePair,
  type ReadOptions,
  r1RewardAnswer,
  r1RewardMessage,
  r1SampleToPair,
  readBenchmark,
  readR1RewardData,
} from '../../src/data/index.js';
import type { BenchmarkName } from '../../src/data/types.js';
import { solidImage, tempFolder } from './fixtures.js';

const dir = tempFolder('loaders');
const png = await solidImage('png');
const jpeg = await solidImage('jpeg');
mkdirSync(join(dir, 'img'), { recursive: true });
writeFileSync(join(dir, 'img', 'a.png'), png);
writeFileSync(join(dir, 'img', 'b.jpg'), jpeg);
writeFileSync(join(dir, 'img', 'broken.png'), 'not a png');

function write(name: string, lines: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return path;
}

async function collect(
  benchmark: BenchmarkName,
  file: string,
  options: ReadOptions = {},
): Promise<PreferencePair[]> {
  const out: PreferencePair[] = [];
  for await (const pair of readBenchmark(benchmark, file, options)) out.push(pair);
  return out;
}

const vl = (id: string, image = 'img/a.png', extra: Record<string, unknown> = {}) => ({
  id,
  prompt: `question ${id}`,
  chosen: 'good',
  rejected: 'bad',
  image,
  ...extra,
});

describe('VL-RewardBench R1 copy (JSONL)', () => {
  it('reads pairs with official categories, sources, unique ids and checked absolute image paths', async () => {
    const file = write('vl.jsonl', [
      vl('RLAIF-V-1'),
      vl('hallucination_pair-2', 'img/b.jpg'),
      vl('mathverse_3'),
      vl('mathverse_3'),
      vl('wildvision_4'),
      vl('svit-5'),
      '',
    ]);
    const pairs = await collect('vl-rewardbench', file);
    assert.deepEqual(
      pairs.map((p) => [p.id, p.category, p.meta?.['source'], p.meta?.['r1CompatCategory']]),
      [
        ['RLAIF-V-1', 'hallucination', 'rlaif-v', 'general'],
        ['hallucination_pair-2', 'hallucination', 'povid', 'hallucination'],
        ['mathverse_3', 'reasoning', 'reasoning', 'reasoning'],
        ['mathverse_3#2', 'reasoning', 'reasoning', 'reasoning'],
        ['wildvision_4', 'general', 'wildvision', 'general'],
        ['svit-5', 'general', 'vlfeedback', 'general'],
      ],
    );
    assert.equal(pairs[3]!.meta?.['sourceId'], 'mathverse_3');
    assert.deepEqual(pairs[1]!.images, [join(dir, 'img', 'b.jpg')]);
    assert.equal(pairs[0]!.question, 'question RLAIF-V-1');
  });

  it('names file, line and field for malformed lines and missing or mistyped fields', async () => {
    const bad = write('vl-bad-json.jsonl', [vl('a'), '{"id": "b", "prompt": ']);
    await assert.rejects(collect('vl-rewardbench', bad), (e: Error) => {
      assert.ok(e instanceof DataFormatError);
      assert.match(e.message, /vl-bad-json\.jsonl:2: invalid JSON/);
      return true;
    });
    const missing = write('vl-missing.jsonl', [{ id: 'a', prompt: 'q', rejected: 'r', image: 'img/a.png' }]);
    await assert.rejects(
      collect('vl-rewardbench', missing),
      /vl-missing\.jsonl:1: field 'chosen': missing \(expected string\)/,
    );
    const typed = write('vl-typed.jsonl', [vl('a', 'img/a.png', { rejected: 42 })]);
    await assert.rejects(
      collect('vl-rewardbench', typed),
      /vl-typed\.jsonl:1: field 'rejected': expected string, got number 42/,
    );
    const array = write('vl-array.jsonl', ['[1, 2]']);
    await assert.rejects(
      collect('vl-rewardbench', array),
      /vl-array\.jsonl:1: expected a JSON object on this line/,
    );
  });

  it('fails on a missing or undecodable image naming item and path, or skips and counts it', async () => {
    const file = write('vl-missing-image.jsonl', [
      vl('ok'),
      vl('gone', 'img/gone.png'),
      vl('junk', 'img/broken.png'),
      vl('ok2'),
    ]);
    await assert.rejects(collect('vl-rewardbench', file), (e: Error) => {
      assert.ok(e instanceof ImageError);
      assert.equal(e.message, `item gone: image ${join(dir, 'img', 'gone.png')}: file not found`);
      return true;
    });
    const skipped: string[] = [];
    const pairs = await collect('vl-rewardbench', file, {
      skipMissing: true,
      onSkip: (id, reason) => skipped.push(`${id}: ${reason}`),
    });
    assert.deepEqual(
      pairs.map((p) => p.id),
      ['ok', 'ok2'],
    );
    assert.equal(skipped.length, 2);
    assert.match(skipped[1]!, /^junk: item junk: image .*broken\.png: cannot decode/);
  });

  it('rejects paths that escape the images root, or with skipMissing skips and reports them', async () => {
    const file = write('vl-escape.jsonl', [vl('evil', '../../etc/passwd'), vl('ok')]);
    await assert.rejects(
      collect('vl-rewardbench', file),
      (e: unknown) =>
        e instanceof PathEscapeError && /--images-root/.test(e.message) && /--skip-missing/.test(e.message),
    );
    const skipped: string[] = [];
    const pairs = await collect('vl-rewardbench', file, {
      skipMissing: true,
      onSkip: (id, reason) => skipped.push(`${id}: ${reason}`),
    });
    assert.deepEqual(
      pairs.map((p) => p.id),
      ['ok'],
    );
    assert.match(skipped[0]!, /^evil: path "\.\.\/\.\.\/etc\/passwd" escapes the images root/);
    const absolute = write('vl-absolute.jsonl', [vl('evil', '/etc/hostname')]);
    await assert.rejects(
      collect('vl-rewardbench', absolute, { checkImages: false }),
      /escapes the images root/,
    );
  });

  it('refuses oversized images', async () => {
    const file = write('vl-big.jsonl', [vl('big')]);
    await assert.rejects(
      collect('vl-rewardbench', file, { maxInputPixels: 5 }),
      /item big: image .*a\.png: 4×3 = 12 pixels is above maxInputPixels=5/,
    );
    await assert.rejects(
      collect('vl-rewardbench', file, { maxInputBytes: 3 }),
      /item big: image .*a\.png: \d+ bytes is above maxInputBytes=3/,
    );
  });

  it('with checkImages false keeps unchecked paths under the root', async () => {
    const file = write('vl-text-only.jsonl', [vl('x', 'nowhere/x.jpg')]);
    const [pair] = await collect('vl-rewardbench', file, { checkImages: false, imagesRoot: '/data/vl' });
    assert.deepEqual(pair!.images, ['/data/vl/nowhere/x.jpg']);
  });
});

describe('VL-RewardBench official parquet', () => {
  const schema = [
    { name: 'root', num_children: 6 },
    { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'query', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'response', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'human_ranking', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT64', repetition_type: 'OPTIONAL' },
    { name: 'query_source', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
  function parquet(
    name: string,
    rows: { id: string; ranking: [bigint, bigint]; image: Uint8Array | null }[],
  ): string {
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: rows.map((r) => r.id) },
        { name: 'query', data: rows.map((r) => `q ${r.id}`) },
        { name: 'response', data: rows.map((r) => [`first ${r.id}`, `second ${r.id}`]) },
        { name: 'image', data: rows.map((r) => ({ bytes: r.image, path: `${r.id}.png` })) },
        { name: 'human_ranking', data: rows.map((r) => r.ranking) },
        { name: 'query_source', data: rows.map(() => 'test') },
      ],
      schema,
      rowGroupSize: 1, // several row groups, as the reader streams group by group
    } as Parameters<typeof parquetWriteBuffer>[0]);
    const path = join(dir, name);
    writeFileSync(path, new Uint8Array(buffer));
    return path;
  }

  it('reads embedded image bytes and picks the response ranked 0', async () => {
    const file = parquet('vl.parquet', [
      { id: 'RLHF-V-1', ranking: [0n, 1n], image: new Uint8Array(png) },
      { id: 'mmmu_2', ranking: [1n, 0n], image: new Uint8Array(jpeg) },
    ]);
    const pairs = await collect('vl-rewardbench', file);
    assert.equal(pairs.length, 2);
    assert.deepEqual(
      pairs.map((p) => [
        p.id,
        p.category,
        p.chosen,
        p.rejected,
        p.meta?.['chosenPosition'],
        p.meta?.['query_source'],
      ]),
      [
        ['RLHF-V-1', 'hallucination', 'first RLHF-V-1', 'second RLHF-V-1', 1, 'test'],
        ['mmmu_2', 'reasoning', 'second mmmu_2', 'first mmmu_2', 2, 'test'],
      ],
    );
    assert.ok(pairs[0]!.images[0] instanceof Uint8Array);
    assert.deepEqual(Buffer.from(pairs[0]!.images[0] as Uint8Array), png);
  });

  it('names the row and field of a bad row; skips rows without image bytes when asked', async () => {
    const tie = parquet('vl-tie.parquet', [{ id: 'a', ranking: [0n, 0n], image: new Uint8Array(png) }]);
    await assert.rejects(
      collect('vl-rewardbench', tie),
      /vl-tie\.parquet row 1: field 'human_ranking': is a tie \[0,0\]/,
    );
    const noImage = parquet('vl-noimage.parquet', [
      { id: 'a', ranking: [0n, 1n], image: null },
      { id: 'b', ranking: [0n, 1n], image: new Uint8Array(png) },
    ]);
    await assert.rejects(
      collect('vl-rewardbench', noImage),
      /item a: image <embedded bytes>: the item has no image bytes/,
    );
    const skipped: string[] = [];
    const pairs = await collect('vl-rewardbench', noImage, {
      skipMissing: true,
      onSkip: (id) => skipped.push(id),
    });
    assert.deepEqual([pairs.map((p) => p.id), skipped], [['b'], ['a']]);
  });

  it('says clearly when the file is not parquet', async () => {
    const path = join(dir, 'fake.parquet');
    writeFileSync(path, 'hello world, not parquet at all');
    await assert.rejects(collect('vl-rewardbench', path), /fake\.parquet: not a readable parquet file/);
  });
});

describe('Multimodal RewardBench (JSON list)', () => {
  const item = (ID: string, Category: string, Better = 'Output1') => ({
    ID,
    Text: `q ${ID}`,
    Image: 'img/a.png',
    Output1: 'one',
    Output2: 'two',
    Better,
    Category,
  });

  it('maps Better to chosen and splits safety and reasoning as the official scorer does', async () => {
    const file = join(dir, 'mmrb.json');
    writeFileSync(
      file,
      JSON.stringify(
        [
          item('pairs_1', 'safety'),
          item('hateful_2', 'safety', 'Output2'),
          item('mathvista_3', 'reasoning'),
          item('EMMA-Coding_4', 'reasoning'),
          item('nocaps_5', 'correctness'),
        ],
        null,
        2,
      ),
    );
    const pairs = await collect('multimodal-rewardbench', file);
    assert.deepEqual(
      pairs.map((p) => [p.id, p.category, p.chosen, p.meta?.['chosenPosition']]),
      [
        ['pairs_1', 'safety/bias', 'one', 1],
        ['hateful_2', 'safety/toxicity', 'two', 2],
        ['mathvista_3', 'reasoning/math', 'one', 1],
        ['EMMA-Coding_4', 'reasoning/coding', 'one', 1],
        ['nocaps_5', 'correctness', 'one', 1],
      ],
    );
  });

  it('names the item and field of a bad item, and the line of a JSON syntax error', async () => {
    const file = join(dir, 'mmrb-bad.json');
    writeFileSync(file, JSON.stringify([item('a', 'vqa'), item('b', 'vqa', 'Output3')]));
    await assert.rejects(collect('multimodal-rewardbench', file), /mmrb-bad\.json item 2: field 'Better': /);
    const syntax = join(dir, 'mmrb-syntax.json');
    writeFileSync(syntax, '[\n  {"ID": "a"},\n  {"ID": }\n]');
    await assert.rejects(collect('multimodal-rewardbench', syntax), /mmrb-syntax\.json:3: invalid JSON/);
    const notList = join(dir, 'mmrb-object.json');
    writeFileSync(notList, '{}');
    await assert.rejects(collect('multimodal-rewardbench', notList), /expected a JSON list of items/);
  });
});

describe('MM-RLHF-RewardBench (JSONL, image and video items)', () => {
  const frames = join(dir, 'video', 'clip1');
  mkdirSync(frames, { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(frames, `frame_${String(i).padStart(3, '0')}.png`), png);
  writeFileSync(join(frames, 'notes.txt'), 'not a frame');
  const row = (id: string, media: Record<string, string>) => ({
    id,
    ...media,
    prompt: 'q',
    chosen: 'c',
    rejected: 'r',
    chosen_reason: 'why c',
    rejected_reason: 'why r',
  });

  it('makes ids unique per question, keeps the group, and categorises by path keyword', async () => {
    writeFileSync(join(dir, 'img', 'mcq_long.png'), png);
    const file = write('mmrlhf.jsonl', [
      row('q1', { image: 'img/a.png' }),
      row('q1', { image: 'img/mcq_long.png' }),
      row('q2', { video: 'video/clip1' }),
    ]);
    const pairs = await collect('mm-rlhf', file);
    assert.deepEqual(
      pairs.map((p) => [p.id, p.meta?.['groupId'], p.category]),
      [
        ['q1#1', 'q1', undefined],
        ['q1#2', 'q1', 'mcq'],
        ['q2#1', 'q2', 'video'],
      ],
    );
    assert.equal(pairs[0]!.meta?.['chosen_reason'], 'why c');
    const video = pairs[2]!.images as string[];
    assert.equal(video.length, 32);
    assert.equal(video[0], join(frames, 'frame_000.png'));
    assert.equal(video[4], join(frames, 'frame_005.png'));
    assert.equal(video[31], join(frames, 'frame_039.png'));
  });

  it('explains a missing frame folder, a video file, and an item with both or neither media', async () => {
    const file = write('mmrlhf-novideo.jsonl', [row('q', { video: 'video/none' })]);
    await assert.rejects(
      collect('mm-rlhf', file),
      /item q#1: image .*video\/none: video frame folder not found/,
    );
    const asFile = write('mmrlhf-file.jsonl', [row('q', { video: 'img/a.png' })]);
    await assert.rejects(collect('mm-rlhf', asFile), /a video must be a folder of frames/);
    const both = write('mmrlhf-both.jsonl', [row('q', { image: 'img/a.png', video: 'video/clip1' })]);
    await assert.rejects(
      collect('mm-rlhf', both),
      /mmrlhf-both\.jsonl:1: field 'image': an item needs exactly one of `image` and `video`/,
    );
  });
});

describe('R1-Reward training data', () => {
  it('reads message/question/answer records and recovers the pair from the judge prompt', async () => {
    const file = write('r1.jsonl', [
      {
        message: r1RewardMessage('What is it?', 'A cat.', 'A dog.', ['img/a.png']),
        question: 'What is it?',
        answer: r1RewardAnswer(2),
        difficulty: 2,
      },
      { message: r1RewardMessage('Q2', 'x', 'y', ['img/b.jpg']), question: 'Q2', answer: '1', id: 'named' },
    ]);
    const samples = [];
    for await (const s of readR1RewardData(file)) samples.push(s);
    assert.equal(samples.length, 2);
    const [first, second] = samples;
    assert.deepEqual(
      [first!.response1, first!.response2, first!.label, first!.extra['difficulty']],
      ['A cat.', 'A dog.', 2, 2],
    );
    assert.equal(first!.id, `${file}:1`);
    assert.deepEqual(first!.images, [join(dir, 'img', 'a.png')]);
    assert.equal(second!.id, 'named');
    const pair = r1SampleToPair(first!);
    assert.deepEqual([pair.chosen, pair.rejected, pair.meta?.['chosenPosition']], ['A dog.', 'A cat.', 2]);
  });

  it('names file, line and field of a bad record', async () => {
    const notChat = write('r1-bad-message.jsonl', [
      { message: 'not json', question: 'q', answer: ['<answer>1</answer>'] },
    ]);
    await assert.rejects(readAll(notChat), /r1-bad-message\.jsonl:1: field 'message': is not a JSON chat/);
    const noPrompt = write('r1-no-prompt.jsonl', [
      {
        message: JSON.stringify([{ role: 'user', content: 'hello' }]),
        question: 'q',
        answer: ['<answer>1</answer>'],
      },
    ]);
    await assert.rejects(
      readAll(noPrompt),
      /r1-no-prompt\.jsonl:1: field 'message': the user turn has no R1-Reward judge prompt/,
    );
    const badAnswer = write('r1-bad-answer.jsonl', [
      { message: r1RewardMessage('q', 'a', 'b', []), question: 'q', answer: ['<answer>3</answer>'] },
    ]);
    await assert.rejects(
      readAll(badAnswer),
      /r1-bad-answer\.jsonl:1: field 'answer': expected "<answer>1<\/answer>"/,
    );
    const noQuestion = write('r1-no-question.jsonl', [
      { message: r1RewardMessage('q', 'a', 'b', []), answer: ['<answer>1</answer>'] },
    ]);
    await assert.rejects(readAll(noQuestion), /r1-no-question\.jsonl:1: field 'question': missing/);
  });
});

async function readAll(file: string) {
  const out = [];
  for await (const s of readR1RewardData(file)) out.push(s);
  return out;
}

describe('readBenchmark', () => {
  it('says when the data file is missing or a folder', async () => {
    await assert.rejects(collect('mm-rlhf', join(dir, 'absent.jsonl')), /absent\.jsonl: file not found/);
    await assert.rejects(collect('vl-rewardbench', join(dir, 'img')), /img: is a folder, not a data file/);
  });

  it('rejects an unknown benchmark name', () => {
    assert.throws(
      () => readBenchmark('nope' as BenchmarkName, 'x'),
      /unknown benchmark "nope"; expected one of/,
    );
  });
});

describe('a file read under the wrong --benchmark', () => {
  it('is refused, naming the benchmark it looks like and the flag to pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-shape-'));
    try {
      const line = (record: Record<string, unknown>) => `${JSON.stringify(record)}\n`;
      const pair = { prompt: 'q', chosen: 'c', rejected: 'r', chosen_reason: '', rejected_reason: '' };
      const vl = join(dir, 'vl.jsonl');
      writeFileSync(vl, line({ id: 'wildvision_1', image: 'vl_reward/img/1.jpg', ...pair }));
      const mm = join(dir, 'mm.jsonl');
      writeFileSync(mm, line({ id: '073712_1', image: 'mcq/073712.png', ...pair }));
      const read = (benchmark: BenchmarkName, file: string) =>
        collect(benchmark, file, { checkImages: false });
      await assert.rejects(
        read('mm-rlhf', vl),
        /vl\.jsonl:1: this looks like a VL-RewardBench file \(the id "wildvision_1"\), not MM-RLHF-RewardBench: pass --benchmark vl-rewardbench/,
      );
      await assert.rejects(
        read('vl-rewardbench', mm),
        /mm\.jsonl:1: this looks like an MM-RLHF-RewardBench file \(image paths under mcq\/.*\), not VL-RewardBench: pass --benchmark mm-rlhf/,
      );
      await assert.rejects(
        read('multimodal-rewardbench', vl),
        /Multimodal RewardBench is one JSON list \(all_data\.json\), but this file holds one JSON object per line; .*pass --benchmark vl-rewardbench/,
      );
      await assert.rejects(
        read('synthetic', mm),
        /has a `category` field and this one has none; .*pass --benchmark mm-rlhf/,
      );
      assert.equal((await read('vl-rewardbench', vl)).length, 1);
      assert.equal((await read('mm-rlhf', mm)).length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
