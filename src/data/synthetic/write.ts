// Writes the synthetic world to a folder, atomically (built in a sibling temp folder, then renamed):
//   images/            one PNG per sample (train-NNNNNN.png, bench-NNNNNN.png)
//   samples.jsonl      every training sample with its ground truth and teacher run (VL-copy shape + extras)
//   sft.jsonl          R1-Reward format + `response` (the teacher's right trace): samples it got right
//   rl.jsonl           R1-Reward format: the hard samples (teacher needed ≥ 2 attempts, or failed)
//   captions.jsonl     one description per training scene (the perception pretraining stage's data)
//   benchmark.jsonl    held-out pairs in the VL-RewardBench-copy shape + `category` (= error kind)
//   manifest.json      config, seed, versions, git commit and the summary
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import pLimit from 'p-limit';
import { Rng } from '../../algo/random.js';
import { gitCommit } from '../../io/run-record.js';
import { VERSION } from '../../version.js';
import { r1RewardAnswer, r1RewardMessage } from '../r1-reward-format.js';
import { claimClause } from './claims.js';
import { ERROR_KINDS, QUESTION_KINDS } from './questions.js';
import { renderPng } from './render.js';
import { DIFFICULTIES, describeScene, type TeacherConfig, teacherOutput } from './teacher.js';
import {
  balancedPositions,
  generateSample,
  type SyntheticSample,
  type SyntheticWorldConfig,
  validateWorldConfig,
} from './world.js';

/**
 * What {@link writeSyntheticWorld} wrote: counts per split, kind and difficulty (also saved as
 * manifest.json).
 */
export interface SynthSummary {
  seed: number;
  imageSize: number;
  counts: { train: number; sft: number; rl: number; benchmark: number };
  /** Training samples per question kind. */
  kinds: Record<string, number>;
  /** Training samples per error kind. */
  errorKinds: Record<string, number>;
  /** Benchmark pairs per category (error kind). */
  benchmarkCategories: Record<string, number>;
  /** Training samples per teacher difficulty (attempts needed). */
  difficulty: Record<string, number>;
  /** Per hardness: samples, and the share of first attempts that erred (the teacher's error rate). */
  hardness: Record<string, { samples: number; firstAttemptError: number }>;
  /** Gold position counts in the written SFT and RL files. */
  goldPositions: { sft: { 1: number; 2: number }; rl: { 1: number; 2: number } };
}

async function writeLine(stream: WriteStream, value: unknown): Promise<void> {
  if (!stream.write(`${JSON.stringify(value)}\n`))
    await new Promise<void>((r) => stream.once('drain', () => r()));
}

const imageName = (s: SyntheticSample) => `images/${s.id.replace(/^syn-/, '')}.png`;

const count = (keys: readonly (string | number)[]) =>
  Object.fromEntries(keys.map((k) => [String(k), 0])) as Record<string, number>;

/** The R1-Reward record of a training sample with the faithful response at `gold`. */
function r1Record(
  s: SyntheticSample,
  gold: 1 | 2,
  withTrace: boolean,
  teacher: TeacherConfig,
): Record<string, unknown> {
  const [response1, response2] = gold === 1 ? [s.faithfulText, s.flawedText] : [s.flawedText, s.faithfulText];
  const [claim1, claim2] =
    gold === 1 ? [s.faithful[s.slip]!, s.flawed[s.slip]!] : [s.flawed[s.slip]!, s.faithful[s.slip]!];
  return {
    id: s.id,
    message: r1RewardMessage(s.question, response1, response2, [imageName(s)]),
    question: s.question,
    answer: r1RewardAnswer(gold),
    ...(withTrace
      ? {
          response: teacherOutput(
            {
              claim1,
              claim2,
              gold,
              ...(teacher.describeScene ? { scene: s.scene } : {}),
              ...(teacher.quoteResponses ? { quotes: { 1: response1, 2: response2 } } : {}),
              ...(teacher.lookAtCell ? { lookAtCell: true } : {}),
              ...(teacher.attributePairs ? { attributePairs: true } : {}),
            },
            true,
          ),
        }
      : {}),
    difficulty: s.teacher!.difficulty,
    hardness: s.hardness,
    kind: s.kind,
    category: s.errorKind,
  };
}

/** The sample in the VL-RewardBench-copy shape (id, prompt, chosen, rejected, image) + category. */
function pairRecord(s: SyntheticSample): Record<string, unknown> {
  return {
    id: s.id,
    prompt: s.question,
    chosen: s.faithfulText,
    rejected: s.flawedText,
    image: imageName(s),
    category: s.errorKind,
    kind: s.kind,
    hardness: s.hardness,
  };
}

async function assertWritable(outDir: string): Promise<void> {
  try {
    const entries = await readdir(outDir);
    if (entries.length > 0) {
      throw new Error(`output folder ${outDir} is not empty; choose a new folder (nothing was written)`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Generates and writes the world; returns the summary (also stored in manifest.json). */
export async function writeSyntheticWorld(
  outDir: string,
  config: SyntheticWorldConfig,
  onProgress?: (done: number, total: number) => void,
): Promise<SynthSummary> {
  validateWorldConfig(config);
  const target = resolve(outDir);
  await assertWritable(target);
  const temp = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(join(temp, 'images'), { recursive: true });
  try {
    const summary = await writeInto(temp, config, onProgress);
    await writeFile(
      join(temp, 'manifest.json'),
      `${JSON.stringify({ generator: 'r1-reward synthetic world', version: VERSION, node: process.version, gitCommit: gitCommit() ?? 'unknown', config, summary }, null, 2)}\n`,
    );
    await rmdir(target).catch(() => undefined); // an empty target folder may exist
    await rename(temp, target);
    return summary;
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined); // keep the original error
    throw error;
  }
}

async function writeInto(
  dir: string,
  config: SyntheticWorldConfig,
  onProgress?: (done: number, total: number) => void,
): Promise<SynthSummary> {
  const total = config.trainSize + config.benchmarkSize;
  const limit = pLimit(4);
  let done = 0;
  const render = (s: SyntheticSample) =>
    limit(async () => {
      await writeFile(join(dir, imageName(s)), await renderPng(s.scene, config.imageSize));
      onProgress?.(++done, total);
    });

  const summary: SynthSummary = {
    seed: config.seed,
    imageSize: config.imageSize,
    counts: { train: config.trainSize, sft: 0, rl: 0, benchmark: config.benchmarkSize },
    kinds: count(QUESTION_KINDS),
    errorKinds: count(ERROR_KINDS),
    benchmarkCategories: count(ERROR_KINDS),
    difficulty: count(DIFFICULTIES),
    hardness: {},
    goldPositions: { sft: { 1: 0, 2: 0 }, rl: { 1: 0, 2: 0 } },
  };
  const firstErrors = [0, 0, 0];
  const byHardness = [0, 0, 0];

  const train: SyntheticSample[] = [];
  const renders: Promise<void>[] = [];
  try {
    await writeSamples();
  } finally {
    // Never leave image writes running behind an error: the caller removes the folder next.
    await Promise.allSettled(renders);
  }
  await Promise.all(renders);
  return summary;

  async function writeSamples(): Promise<void> {
    const samplesOut = createWriteStream(join(dir, 'samples.jsonl'));
    for (let i = 0; i < config.trainSize; i++) {
      const s = generateSample(config, 'train', i);
      train.push(s);
      renders.push(render(s));
      summary.kinds[s.kind]! += 1;
      summary.errorKinds[s.errorKind]! += 1;
      summary.difficulty[String(s.teacher!.difficulty)]! += 1;
      byHardness[s.hardness]! += 1;
      if (!s.teacher!.attempts[0]) firstErrors[s.hardness]! += 1;
      await writeLine(samplesOut, {
        ...pairRecord(s),
        difficulty: s.teacher!.difficulty,
        teacher_attempts: s.teacher!.attempts.map((right) => (right ? 'right' : 'wrong')),
        scene: s.scene,
        slip: { chosen: claimClause(s.faithful[s.slip]!), rejected: claimClause(s.flawed[s.slip]!) },
      });
    }
    samplesOut.end();
    await finished(samplesOut);
    for (const h of [0, 1, 2]) {
      summary.hardness[String(h)] = {
        samples: byHardness[h]!,
        firstAttemptError: byHardness[h]! ? firstErrors[h]! / byHardness[h]! : 0,
      };
    }

    // Captions: every training scene described as the teacher's analyses describe it.
    const captionsOut = createWriteStream(join(dir, 'captions.jsonl'));
    for (const s of train)
      await writeLine(captionsOut, { id: s.id, image: imageName(s), caption: describeScene(s.scene) });
    captionsOut.end();
    await finished(captionsOut);

    // SFT: samples with a right trace (difficulty 1–3). RL: the hard ones (difficulty ≥ 2 or failed).
    const splits = {
      sft: train.filter((s) => s.teacher!.difficulty !== 'failed'),
      rl: train.filter((s) => s.teacher!.difficulty !== 1),
    };
    for (const [name, samples] of Object.entries(splits) as ['sft' | 'rl', SyntheticSample[]][]) {
      const positions = balancedPositions(Rng.stream(config.seed, 'positions', name), samples.length);
      const out = createWriteStream(join(dir, `${name}.jsonl`));
      for (const [i, s] of samples.entries()) {
        const gold = positions[i]!;
        summary.goldPositions[name][gold] += 1;
        await writeLine(out, r1Record(s, gold, name === 'sft', config.teacher));
      }
      out.end();
      await finished(out);
      summary.counts[name] = samples.length;
    }

    const benchOut = createWriteStream(join(dir, 'benchmark.jsonl'));
    for (let i = 0; i < config.benchmarkSize; i++) {
      const s = generateSample(config, 'benchmark', i);
      renders.push(render(s));
      summary.benchmarkCategories[s.errorKind]! += 1;
      await writeLine(benchOut, pairRecord(s));
    }
    benchOut.end();
    await finished(benchOut);
  }
}

/** The summary as a few readable lines. */
export function formatSynthSummary(summary: SynthSummary, outDir: string): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const list = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const { counts, goldPositions } = summary;
  return [
    `synthetic world (seed ${summary.seed}, ${summary.imageSize}×${summary.imageSize} images) → ${outDir}`,
    `  splits: train ${counts.train}, sft ${counts.sft}, rl ${counts.rl}, benchmark ${counts.benchmark}`,
    `  kinds (train): ${list(summary.kinds)}`,
    `  error kinds (train): ${list(summary.errorKinds)}`,
    `  benchmark categories: ${list(summary.benchmarkCategories)}`,
    `  difficulty (teacher attempts): ${list(summary.difficulty)}`,
    `  hardness: ${Object.entries(summary.hardness)
      .map(([h, v]) => `${h}: ${v.samples} samples, teacher first-attempt error ${pct(v.firstAttemptError)}`)
      .join('; ')}`,
    `  gold position 1/2: sft ${goldPositions.sft[1]}/${goldPositions.sft[2]}, rl ${goldPositions.rl[1]}/${goldPositions.rl[2]}`,
  ].join('\n');
}
