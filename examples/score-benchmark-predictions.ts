// Score a benchmark file's predictions with the bench score API (what `r1-reward bench score` runs):
// read the benchmark items, attach each item's judge outputs as raw text, and compute the official
// metrics (overall and per-category accuracy, MM-RLHF's Acc+, Voting@K) and the Markdown report.
// Use it for outputs made elsewhere, e.g. by the released Python eval script or your own server.
// Run: node --import tsx examples/score-benchmark-predictions.ts
// (It writes a 4-item MM-RLHF-RewardBench sample and its predictions to a temporary folder; point
// `benchmarkFile` / `predictions` at your own files instead. Images are not needed to score.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type JudgedItemRecord,
  parseSample,
  readBenchmark,
  renderMarkdown,
  scoreRecords,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'r1-score-'));
const benchmarkFile = join(dir, 'mm-rlhf-rewardbench.jsonl');
// MM-RLHF-RewardBench lines: items sharing an `id` are one question (scored together by Acc+); the
// category comes from the image path's folder.
const item = (id: string, image: string, chosen: string, rejected: string) =>
  JSON.stringify({ id, image, prompt: 'How many cats are there?', chosen, rejected });
writeFileSync(
  benchmarkFile,
  [
    item('q1', 'mcq/q1.png', 'Two cats.', 'Three cats.'),
    item('q1', 'mcq/q1.png', 'Two cats.', 'No cats.'),
    item('q2', 'long/q2.png', 'One cat on a mat.', 'A dog.'),
    item('q2', 'long/q2.png', 'One cat on a mat.', 'Two cats.'),
  ].join('\n'),
);

// Predictions: K = 3 raw outputs per pair, made with the human-preferred (chosen) response shown
// as Response 1 — the released evaluation's order. Pair ids are `${id}#${n}` (n-th pair of a question).
const right = '<think>Response 1 counts correctly.</think><answer>1</answer>';
const wrong = '<think>Response 2 looks more detailed.</think><answer>2</answer>';
const predictions: Record<string, string[]> = {
  'q1#1': [right, right, wrong],
  'q1#2': [right, wrong, wrong],
  'q2#1': [right, right, right],
  'q2#2': [right, 'no verdict here', right], // an unparseable sample counts as no vote
};

const records: JudgedItemRecord[] = [];
// checkImages: false reads the text without opening the images (they are not at hand here).
for await (const pair of readBenchmark('mm-rlhf', benchmarkFile, { checkImages: false })) {
  const outputs = predictions[pair.id];
  if (!outputs) throw new Error(`no predictions for ${pair.id}`);
  records.push({
    id: pair.id,
    ...(pair.category === undefined ? {} : { category: pair.category }),
    ...(pair.meta === undefined ? {} : { meta: pair.meta }),
    order: 'fixed',
    k: outputs.length,
    judgements: [{ firstAt: 1, samples: outputs.map(parseSample), cached: 0 }],
    ms: 0,
  });
}

const { metrics, details } = scoreRecords(records, {
  benchmark: 'mm-rlhf',
  protocol: 'official', // or 'r1-compat': the released scripts' rules (one sample per item)
  order: 'fixed',
  k: 3,
  seed: 0,
});
const report = join(dir, 'report.md');
writeFileSync(
  report,
  renderMarkdown(metrics, details, { runDir: dir, description: { predictions: 'example' } }),
);
console.log(
  JSON.stringify({
    overall: metrics.overall,
    accPlus: metrics.accPlus,
    votingAtK: metrics.votingAtK,
    categories: metrics.categories,
    unparseable: metrics.unparseable.count,
  }),
);
console.log(`report: ${report}`);
