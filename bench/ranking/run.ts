// bench/ranking: what each ranking scheme (src/rank) costs and how well it ranks, with the demo's judge
// checkpoint on the synthetic world's held-out cell questions, in one run.
//   node --import tsx bench/ranking/run.ts [--run runs/demo-small | --local CHECKPOINT] [--items 20]
//        [--k 1] [--max-tokens 120] [--seed 0] [--concurrency 16] [--threads N]
// Candidates: for each held-out question ("What is at the top left?") the 8 answers that get each
// subset of the object's three attributes (colour, shape, size) wrong, in seeded random order: one
// faithful answer, three with one error, three with two, one with three. The truth order is known:
// fewer errors is better (ties within a count), and the faithful answer is the one best candidate.
// Every scheme judges every comparison in both orders (a disagreement is a tie) with K samples per
// order. The schemes of one item share one sample cache, so a comparison that two schemes both play
// is judged once and the schemes differ only in which comparisons they play and how they aggregate.
// Prints, per scheme: judge requests per group (vs round robin's), top-1 agreement and Kendall τ with
// round robin, and with the truth (top-1 = the faithful answer ranked first; τ-b against the error
// counts); writes the record to runs/bench/ranking-<time>.json.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Rng } from '../../src/algo/random.js';
import { type Claim, claimClause, sentence } from '../../src/data/synthetic/claims.js';
import {
  COLORS,
  DEFAULT_WORLD,
  generateSample,
  onlyKinds,
  renderPng,
  SHAPES,
  SIZES,
  type SyntheticWorldConfig,
} from '../../src/data/synthetic/index.js';
import { setNumThreads } from '../../src/engine/index.js';
import { writeJsonAtomic } from '../../src/io/atomic-write.js';
import { makeRunRecord } from '../../src/io/run-record.js';
import { LocalModelBackend } from '../../src/judge/local-backend.js';
import { COMPACT_TEMPLATE } from '../../src/model/judge-format.js';
import { MemoryJudgementCache } from '../../src/rank/cache.js';
import { rankCandidates } from '../../src/rank/rank.js';
import type { RankItem, RankScheme } from '../../src/rank/types.js';

const { values: args } = parseArgs({
  options: {
    run: { type: 'string', default: 'runs/demo-small' },
    local: { type: 'string' },
    items: { type: 'string', default: '20' },
    k: { type: 'string', default: '1' },
    'max-tokens': { type: 'string', default: '120' },
    seed: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '16' },
    threads: { type: 'string' },
  },
});
const positive = (name: string, value: string | undefined): number => {
  const x = Number(value);
  if (!Number.isInteger(x) || x < 1)
    throw new RangeError(`--${name} must be a positive integer, got ${value}`);
  return x;
};
const items = positive('items', args.items);
const k = positive('k', args.k);
const maxTokens = positive('max-tokens', args['max-tokens']);
const seed = Number(args.seed);
const concurrency = positive('concurrency', args.concurrency);
if (args.threads !== undefined) setNumThreads(positive('threads', args.threads));
const root = new URL('../../', import.meta.url).pathname;
const N = 8;
const SCHEMES: RankScheme[] = ['round-robin', 'knockout', 'swiss', 'sort'];

/** The judge checkpoint: --local, else the RL checkpoint the demo run recorded in rl/done.json. */
function judgeCheckpoint(): { checkpoint: string; runDir: string | null } {
  if (args.local !== undefined) {
    const checkpoint = resolve(args.local);
    if (!existsSync(join(checkpoint, 'model.safetensors')))
      throw new Error(`--local ${args.local}: no model.safetensors there; give a checkpoint directory`);
    return { checkpoint, runDir: null };
  }
  const runDir = resolve(root, args.run);
  const done = join(runDir, 'rl', 'done.json');
  if (!existsSync(done))
    throw new Error(
      `no demo judge at ${done}: run the demo first (\`npm start\` writes runs/demo-small in about 20 minutes; \`node --import tsx src/cli/main.ts demo --preset tiny\` writes runs/demo-tiny in a minute, an untrained judge), then pass --run DIR, or --local CHECKPOINT for any checkpoint`,
    );
  return { checkpoint: resolve(runDir, JSON.parse(readFileSync(done, 'utf8')).checkpoint), runDir };
}

/** The world the run trained on (world/manifest.json), else the default demo's; cell questions only. */
function worldConfig(runDir: string | null): SyntheticWorldConfig {
  const manifest = runDir && join(runDir, 'world', 'manifest.json');
  const base: SyntheticWorldConfig =
    manifest && existsSync(manifest)
      ? (JSON.parse(readFileSync(manifest, 'utf8')) as { config: SyntheticWorldConfig }).config
      : { ...DEFAULT_WORLD, benchmarkSize: 200 };
  return { ...base, kindWeights: onlyKinds(['cell']) };
}

const ATTRIBUTES = ['color', 'shape', 'size'] as const;
const VALUES = { color: COLORS, shape: SHAPES, size: SIZES } as const;

interface Group {
  item: RankItem;
  candidates: string[];
  /** Per candidate, how many of its attributes are wrong (0 = the faithful answer). */
  errors: number[];
}

/** Held-out cell question `index` and its 8 graded answers (every subset of wrong attributes). */
async function makeGroup(world: SyntheticWorldConfig, index: number): Promise<Group> {
  const sample = generateSample(world, 'benchmark', index);
  const truth = sample.faithful[0]!;
  if (truth.type !== 'object') throw new Error(`held-out item ${index} is not a cell question`);
  const rng = Rng.stream(world.seed, 'bench-ranking', index);
  const answers = Array.from({ length: N }, (_, subset) => {
    const claim: Claim = { ...truth };
    for (const [bit, attribute] of ATTRIBUTES.entries())
      if (subset & (1 << bit)) {
        const others = VALUES[attribute].filter((v) => v !== truth[attribute]);
        Object.assign(claim, { [attribute]: rng.pick(others) });
      }
    return { text: sentence(claimClause(claim)), errors: [0, 1, 2].filter((b) => subset & (1 << b)).length };
  });
  const shuffled = rng.shuffle(answers);
  const png = await renderPng(sample.scene, world.imageSize);
  return {
    item: {
      id: sample.id,
      images: [`data:image/png;base64,${png.toString('base64')}`],
      question: sample.question,
    },
    candidates: shuffled.map((a) => a.text),
    errors: shuffled.map((a) => a.errors),
  };
}

/** Kendall τ-b between two score vectors (higher = better); ties allowed in either. */
function kendallTauB(x: readonly number[], y: readonly number[]): number {
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  const n0 = concordant + discordant;
  const denominator = Math.sqrt((n0 + tiesX) * (n0 + tiesY));
  return denominator === 0 ? 0 : (concordant - discordant) / denominator;
}

/** Per candidate, a score from a best-first order: N for the first, 1 for the last. */
const scoreOf = (ranked: readonly number[]): number[] => {
  const score = new Array<number>(ranked.length);
  ranked.forEach((candidate, place) => {
    score[candidate] = ranked.length - place;
  });
  return score;
};

interface SchemeStats {
  requests: number[];
  samples: number[];
  freshSamples: number[];
  top1WithRoundRobin: number[];
  tauWithRoundRobin: number[];
  top1Truth: number[];
  tauTruth: number[];
  unparseable: number[];
  seconds: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function main(): Promise<void> {
  const { checkpoint, runDir } = judgeCheckpoint();
  const world = worldConfig(runDir);
  const backend = new LocalModelBackend({ checkpoint, temperature: 1, topP: 1, maxTokens, seed });
  const stats = Object.fromEntries(
    SCHEMES.map((s) => [
      s,
      {
        requests: [],
        samples: [],
        freshSamples: [],
        top1WithRoundRobin: [],
        tauWithRoundRobin: [],
        top1Truth: [],
        tauTruth: [],
        unparseable: [],
        seconds: 0,
      } as SchemeStats,
    ]),
  ) as Record<RankScheme, SchemeStats>;
  console.log(
    `judge ${checkpoint}; ${items} held-out cell questions × ${N} graded answers, K = ${k}, both orders`,
  );
  try {
    for (let index = 0; index < items; index++) {
      const group = await makeGroup(world, index);
      const truthScore = group.errors.map((e) => -e);
      const cache = new MemoryJudgementCache();
      let roundRobin: number[] = [];
      const bestErrors: string[] = [];
      for (const scheme of SCHEMES) {
        const start = performance.now();
        const ranking = await rankCandidates(group.item, group.candidates, backend, {
          scheme,
          k,
          order: 'both',
          seed,
          cache,
          template: COMPACT_TEMPLATE,
          concurrency,
        });
        const s = stats[scheme];
        s.seconds += (performance.now() - start) / 1000;
        if (scheme === 'round-robin') roundRobin = ranking.ranked;
        s.requests.push(ranking.calls.requests);
        s.samples.push(ranking.calls.samples);
        s.freshSamples.push(ranking.calls.freshSamples);
        s.unparseable.push(ranking.unparseable);
        s.top1WithRoundRobin.push(ranking.best === roundRobin[0] ? 1 : 0);
        s.tauWithRoundRobin.push(kendallTauB(scoreOf(ranking.ranked), scoreOf(roundRobin)));
        s.top1Truth.push(group.errors[ranking.best] === 0 ? 1 : 0);
        s.tauTruth.push(kendallTauB(scoreOf(ranking.ranked), truthScore));
        bestErrors.push(`${scheme} ${group.errors[ranking.best]}`);
      }
      console.log(
        `item ${index + 1}/${items} (${group.item.id}), errors of the chosen answer: ${bestErrors.join(', ')}`,
      );
    }
  } finally {
    await backend.close();
  }

  const rr = mean(stats['round-robin'].requests);
  console.log(
    `\n| scheme | judge requests per group (× K samples) | vs round robin | top-1 = round robin's | Kendall τ with round robin | top-1 = truth (faithful answer first) | Kendall τ-b with truth | unparseable samples per group |\n|---|---:|---:|---:|---:|---:|---:|---:|`,
  );
  for (const scheme of SCHEMES) {
    const s = stats[scheme];
    console.log(
      `| ${scheme} | ${mean(s.requests).toFixed(1)} | ${(mean(s.requests) / rr).toFixed(2)}× | ${(100 * mean(s.top1WithRoundRobin)).toFixed(0)} % | ${mean(s.tauWithRoundRobin).toFixed(2)} | ${(100 * mean(s.top1Truth)).toFixed(0)} % | ${mean(s.tauTruth).toFixed(2)} | ${mean(s.unparseable).toFixed(1)} |`,
    );
  }
  console.log(
    `chance: top-1 = truth 12.5 %, τ-b with truth 0; ${items} groups, K = ${k}, both orders, max ${maxTokens} new tokens`,
  );

  const record = {
    ...makeRunRecord(
      'bench/ranking',
      { checkpoint, items, k, maxTokens, seed, concurrency, world },
      seed,
      {},
    ),
    stats,
  };
  const path = join(root, 'runs', 'bench', `ranking-${record.startedAt.replace(/[:.]/g, '-')}.json`);
  writeJsonAtomic(path, record);
  console.log(`\nrecord: ${path}`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
