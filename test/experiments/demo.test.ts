// The demo end to end in its tiny preset: every phase runs, report.html exists, and the numbers it
// shows are the ones in the phases' own logs (metrics.jsonl of SFT and RL, the benchmark runs'
// metrics.json, phases.json). A rerun skips every phase and rebuilds the same report.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_WORLD, validateWorldConfig } from '../../src/data/index.js';
import type { JudgedItemRecord } from '../../src/eval/record.js';
import type { Metrics } from '../../src/eval/score.js';
import { demoConfig } from '../../src/experiments/demo/config.js';
import { demoPaths, demoWorld, type PhaseName, runDemo } from '../../src/experiments/demo/pipeline.js';
import { type DemoSummary, pct } from '../../src/experiments/demo/report.js';
import type { PickLine } from '../../src/experiments/policy/experiment.js';
import type { SampledQuestion } from '../../src/experiments/policy/sample.js';
import { engineSkipReason } from '../engine/fixtures.js';

const skip = engineSkipReason();

/** Every `<td data-key="…">value</td>` of the page. */
function cells(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<td data-key="([^"]+)">([^<]*)<\/td>/g)) out.set(m[1]!, m[2]!);
  return out;
}

const lastHeldOut = (file: string): number => {
  const rows = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { held_out_accuracy?: number });
  const value = rows.filter((r) => typeof r.held_out_accuracy === 'number').at(-1)?.held_out_accuracy;
  assert.equal(typeof value, 'number', `${file} logs a held-out accuracy`);
  return value!;
};

describe('r1-reward demo, tiny preset, end to end', { skip }, () => {
  let root: string;
  let summary: DemoSummary;
  const phases: [PhaseName, boolean][] = [];
  const config = () => demoConfig('tiny', { outDir: join(root, 'run'), seed: 3 });
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'r1-demo-'));
    summary = await runDemo(config(), { onPhase: (p, skipped) => phases.push([p, skipped]) });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('runs every phase and records config, seed, versions and commit', () => {
    assert.deepEqual(
      phases.map(([p]) => p),
      ['data', 'tokenizer', 'pretrain', 'sft', 'rl', 'eval-sft', 'eval-rl', 'best-of-n'],
    );
    assert.ok(phases.every(([, skipped]) => !skipped));
    const paths = demoPaths(config().outDir);
    const run = JSON.parse(readFileSync(join(paths.dir, 'run.json'), 'utf8'));
    assert.equal(run.seed, 3);
    assert.equal(run.config.preset, 'tiny');
    assert.equal(typeof run.versions.node, 'string');
    assert.ok('gitCommit' in run);
    for (const file of [paths.tokenizer, join(paths.sft, 'done.json'), join(paths.rl, 'done.json')])
      assert.ok(existsSync(file), file);
    // RL trained on the hard samples in both orders: the selection is recorded, pairs kept whole.
    const hard = JSON.parse(readFileSync(join(paths.rl, 'hard-prompts.json'), 'utf8'));
    assert.equal(hard.samples, 2);
    assert.equal(hard.total % 2, 0);
    assert.equal(hard.kept % 2, 0);
    assert.ok(Object.keys(hard.passRates).some((id) => id.endsWith('#swapped')));
  });

  it('report.html shows the numbers of the logs and metrics files', () => {
    const paths = demoPaths(config().outDir);
    assert.ok(existsSync(paths.report));
    const html = readFileSync(paths.report, 'utf8');
    const shown = cells(html);
    for (const model of ['sft', 'rl'] as const) {
      const evalDir = model === 'sft' ? paths.evalSft : paths.evalRl;
      const metrics = JSON.parse(readFileSync(join(evalDir, 'metrics.json'), 'utf8')) as Metrics;
      assert.equal(metrics.order, 'both');
      assert.equal(metrics.k, 5);
      for (const K of [1, 3, 5]) assert.equal(shown.get(`${model}.voting@${K}`), pct(metrics.votingAtK[K]));
      assert.equal(shown.get(`${model}.consistency`), pct(metrics.positionConsistency!.rate));
      assert.equal(shown.get(`${model}.unparseable`), pct(metrics.unparseable.rate));
      // Per-sample accuracy, recounted from the raw judgements.
      let correct = 0;
      let parsed = 0;
      const byHardness = new Map<string, [number, number]>();
      for (const line of readFileSync(join(evalDir, 'judgements.jsonl'), 'utf8').trim().split('\n')) {
        const record = JSON.parse(line) as JudgedItemRecord;
        const tally = byHardness.get(String(record.meta!['hardness'])) ?? [0, 0];
        for (const j of record.judgements)
          for (const sample of j.samples)
            if (sample.choice !== null) {
              parsed++;
              tally[1]++;
              if (sample.choice === j.firstAt) {
                correct++;
                tally[0]++;
              }
            }
        byHardness.set(String(record.meta!['hardness']), tally);
      }
      assert.equal(shown.get(`${model}.per-sample`), pct(correct / parsed));
      assert.ok(byHardness.size > 0);
      for (const [h, [c, n]] of byHardness)
        assert.equal(shown.get(`${model}.per-sample-h${h}`), pct(n > 0 ? c / n : null));
      const trainDir = model === 'sft' ? paths.sft : paths.rl;
      assert.equal(shown.get(`${model}.greedy`), pct(lastHeldOut(join(trainDir, 'metrics.jsonl'))));
    }
    const times = JSON.parse(readFileSync(paths.phases, 'utf8')) as Record<string, { seconds: number }>;
    assert.equal(shown.get('phase.sft'), `${times['sft']!.seconds.toFixed(1)} s`);
    assert.equal(shown.get('phase.eval-rl'), `${times['eval-rl']!.seconds.toFixed(1)} s`);
    // Curves, and example judgements with their images inline.
    assert.match(html, /<svg[^>]*aria-label="reward"/);
    assert.match(html, /<svg[^>]*aria-label="loss"/);
    // The held-out accuracy: a chart when it moved, else listed with the values that never changed.
    assert.match(
      html,
      /<svg[^>]*aria-label="held-out \(greedy\)"|<span>held_out_accuracy<\/span><b>[\d.]+<\/b>/,
    );
    assert.match(html, /<img [^>]*src="data:image\/png;base64,/);
  });

  it('report.html shows the best-of-N table of the phase’s own samples and picks', () => {
    const paths = demoPaths(config().outDir);
    const { ns, schemes, questions } = config().bestOfN;
    const lines = <T>(file: string) =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as T);
    const samples = lines<SampledQuestion>(join(paths.bestOfN, 'samples', 'all.jsonl'));
    const picks = lines<PickLine>(join(paths.bestOfN, 'picks', 'rl', 'all.jsonl'));
    assert.equal(samples.length, questions);
    assert.equal(picks.length, questions);
    const share = (xs: boolean[]) => pct(xs.filter(Boolean).length / xs.length);
    const shown = cells(readFileSync(paths.report, 'utf8'));
    for (const n of ns) {
      assert.equal(
        shown.get(`oracle@${n}`),
        share(samples.map((q) => q.answers.slice(0, n).some((a) => a.correct))),
      );
      for (const scheme of schemes) {
        const at = picks.map((l) => l.picks.find((p) => p.scheme === scheme && p.n === n)!);
        assert.equal(shown.get(`judge: ${scheme}@${n}`), share(at.map((p) => p.correct)));
        // N = 1 needs no comparison; from N = 2 on, each distinct pair is judged in both orders.
        if (n === 1) assert.ok(at.every((p) => p.requests === 0));
      }
    }
    assert.equal(summary.bestOfN?.questions, questions);
    assert.deepEqual(summary.bestOfN?.ns, ns);
    assert.match(readFileSync(paths.report, 'utf8'), /<svg[^>]*aria-label="true accuracy of the pick vs N"/);
  });

  it('a rerun skips every phase and reports the same numbers', async () => {
    phases.length = 0;
    const again = await runDemo(config(), { onPhase: (p, skipped) => phases.push([p, skipped]) });
    assert.ok(
      phases.every(([, skipped]) => skipped),
      JSON.stringify(phases),
    );
    assert.deepEqual(again.sft, summary.sft);
    assert.deepEqual(again.rl, summary.rl);
    assert.deepEqual(again.bestOfN, summary.bestOfN);
  });

  it('the CLI prints the summary table from the same run (resumed: every phase skipped)', () => {
    const root_ = new URL('../..', import.meta.url).pathname;
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'demo',
        '--preset',
        'tiny',
        '--seed',
        '3',
        '--out',
        join(root, 'run'),
      ],
      { cwd: root_, encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stderr, /sft: done earlier, skipped/);
    const voting5 = new RegExp(
      `Voting@5 +\\| ${pct(summary.sft.votingAtK['5']).replace('.', '\\.')} +\\| ${pct(summary.rl.votingAtK['5']).replace('.', '\\.')}`,
    );
    assert.match(cli.stdout, voting5);
    assert.match(cli.stdout, /time per phase: data [\d.]+ s, tokenizer/);
  });

  it('a run stopped in the middle of the RL evaluation continues it, keeping what was judged', async () => {
    const paths = demoPaths(config().outDir);
    const file = join(paths.evalRl, 'judgements.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const kept = lines.slice(0, 3);
    writeFileSync(file, `${kept.join('\n')}\n`); // as if killed after three items
    rmSync(join(paths.evalRl, 'metrics.json'));
    phases.length = 0;
    await runDemo(config(), { onPhase: (p, skipped) => phases.push([p, skipped]) });
    assert.deepEqual(
      phases.filter(([, skipped]) => !skipped).map(([p]) => p),
      ['eval-rl'],
    );
    const after = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(after.length, lines.length);
    assert.deepEqual(after.slice(0, 3), kept);
    assert.ok(existsSync(join(paths.evalRl, 'metrics.json')));
  });

  it('refuses to continue a run folder with another config', async () => {
    await assert.rejects(
      runDemo(demoConfig('tiny', { outDir: join(root, 'run'), seed: 4 })),
      /was started with seed = \d+, not 4; rerun with the same --preset and --seed/,
    );
  });
});

describe('demo presets', () => {
  it('small: a cell-question world whose teacher compares attribute pairs and misses size, judged by cells-mix', () => {
    const config = demoConfig('small');
    const world = demoWorld(config);
    validateWorldConfig(world);
    assert.deepEqual(
      Object.entries(world.kindWeights).filter(([, w]) => w > 0),
      [['cell', 1]],
    );
    assert.equal(world.teacher.lookAtCell, true);
    assert.equal(world.teacher.attributePairs, true);
    assert.equal(world.trainSize, 6000);
    assert.equal(config.model, 'cells-mix');
    // The teacher errs on a size-only pair 97 % of the time: most of those are RL data, labels only.
    assert.deepEqual(world.teacher.errorByHardness, [0.05, 0.25, 0.97]);
    assert.equal(config.rl.selectHard, undefined);
    assert.equal(config.rl.bothOrders, true);
    // tiny keeps the default world (every kind, the plain teacher).
    const tiny = demoWorld(demoConfig('tiny'));
    assert.deepEqual(tiny.kindWeights, DEFAULT_WORLD.kindWeights);
    assert.equal(tiny.teacher.attributePairs, undefined);
    assert.deepEqual(tiny.teacher.errorByHardness, DEFAULT_WORLD.teacher.errorByHardness);
  });
});
