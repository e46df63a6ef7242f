#!/usr/bin/env node
// Writes the small benchmark extracts under test/fixtures/benchmarks/ from the full files, so the
// data-loading and scoring tests run on every clone (see that folder's README for where the rows
// come from and under which terms). Deterministic: the same full files give the same extracts.
//   node scripts/make-benchmark-extracts.mjs [DATA_DIR]     (default ../shared/data)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const data = process.argv[2] ?? join(root, '..', 'shared', 'data');
const out = join(root, 'test', 'fixtures', 'benchmarks');

const readRows = (file) =>
  readFileSync(join(data, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
const writeRows = (file, rows) => {
  writeFileSync(join(out, file), rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  console.log(`${join(out, file)}: ${rows.length} rows`);
};

// VL-RewardBench, R1-Reward's JSONL copy (MIT): per source (the id's prefix) its first rows in file
// order, and both copies of two ids the file repeats, so the extract covers every category, every
// r1-compat rule and the de-duplication of ids. Rows are copied verbatim.
const VL_PER_SOURCE = [
  ['RLAIF-V', 4],
  ['RLHF-V', 3],
  ['hallucination_pair', 6],
  ['mathverse', 4],
  ['mmmu_pro', 4],
  ['wildvision', 5],
  ['svit', 1],
  ['LRVInstruction', 1],
  ['jailbreak', 2],
  ['politics', 1],
];
const VL_REPEATED = ['mathverse_2279', 'mmmu_pro_test_Marketing_150'];

const vl = readRows('vl-rewardbench.r1-copy.jsonl');
const taken = new Set();
for (const [prefix, count] of VL_PER_SOURCE) {
  const rows = vl.filter((r) => r.id.startsWith(prefix) && !VL_REPEATED.includes(r.id)).slice(0, count);
  if (rows.length < count) throw new Error(`only ${rows.length} VL-RewardBench rows start with ${prefix}`);
  for (const row of rows) taken.add(row);
}
for (const id of VL_REPEATED) {
  const copies = vl.filter((r) => r.id === id);
  if (copies.length < 2) throw new Error(`VL-RewardBench id ${id} is no longer repeated`);
  for (const row of copies) taken.add(row);
}
writeRows(
  'vl-rewardbench.r1-copy.extract.jsonl',
  vl.filter((row) => taken.has(row)),
);

// MM-RLHF-RewardBench: its dataset card states no licence, so the extract keeps the real structure
// (ids, image / video paths, field names, the order of the rows, whole question groups) and replaces
// the texts with placeholders that say what they stand for. Two whole question groups per category.
const MM_GROUPS_PER_CATEGORY = 2;
const MM_CATEGORIES = ['mcq', 'long', 'short', 'safety', 'video'];
const mm = readRows('mm-rlhf-rewardbench.jsonl');
const groups = [];
for (const category of MM_CATEGORIES) {
  const ids = [...new Set(mm.filter((r) => (r.image ?? r.video).includes(category)).map((r) => r.id))];
  groups.push(...ids.slice(0, MM_GROUPS_PER_CATEGORY));
}
const placeholder = (row, field) =>
  `[${field} of ${row.id}: ${row[field].length} characters in MM-RLHF-RewardBench]`;
writeRows(
  'mm-rlhf-rewardbench.extract.jsonl',
  mm
    .filter((row) => groups.includes(row.id))
    .map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
          key,
          ['prompt', 'chosen', 'rejected', 'chosen_reason', 'rejected_reason'].includes(key) &&
          typeof value === 'string'
            ? placeholder(row, key)
            : value,
        ]),
      ),
    ),
);
