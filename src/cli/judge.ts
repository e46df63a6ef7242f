// `r1-reward judge`: compare two responses to an image + question with any R1-Reward-style judge.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseJudgement } from '../algo/index.js';
import { imageToDataUrl } from '../data/index.js';
import { judgePair, type PairJudgement, toPairChoice } from '../judge/judge.js';
import {
  addBackendOptions,
  type BackendOptions,
  backendFromOptions,
  exitOnError,
  judgeSettings,
} from './judge-backend-options.js';
import { EXIT, withExitCodes } from './options.js';

interface JudgeCliOptions extends BackendOptions {
  image: string[];
  question: string;
  response1: string;
  response2: string;
  json?: boolean;
}

/** TEXT, or @file for the file's contents (@@… for a text that starts with @). */
function textOrFile(value: string, flag: string): string {
  if (value.startsWith('@@')) return value.slice(1);
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${flag} ${value}: cannot read ${file} (${(error as Error).message})`);
  }
}

export function registerJudge(program: Command): void {
  const command = program
    .command('judge')
    .description('judge which of two responses to an image + question is better (R1-Reward prompt, Voting@K)')
    .option(
      '--image <file>',
      'image shown before the prompt (repeat for several, in order)',
      (v, p: string[]) => [...p, v],
      [],
    )
    .requiredOption('--question <text>', 'the question (or @file)')
    .requiredOption('--response1 <text>', 'the first response (or @file)')
    .requiredOption('--response2 <text>', 'the second response (or @file)')
    .option('--json', 'machine-readable output');
  withExitCodes(command, ['noMajority']);
  addBackendOptions(command, { concurrency: 16 }).action(
    exitOnError(async (options: JudgeCliOptions) => {
      const settings = judgeSettings(options);
      if (settings.order === 'stored')
        throw new Error(
          '--order stored is for benchmarks that fix an order; use --order fixed to judge the responses as given',
        );
      const backend = backendFromOptions(options);
      const images = await Promise.all(
        options.image.map((file) => imageToDataUrl(resolve(file), { maxPixels: settings.maxPixels })),
      );
      const question = textOrFile(options.question, '--question');
      const responses = [
        textOrFile(options.response1, '--response1'),
        textOrFile(options.response2, '--response2'),
      ] as const;
      // The random order is seeded by the content, so the same question and responses show the same order.
      const id = createHash('sha256')
        .update(JSON.stringify([question, ...responses]))
        .digest('hex');
      const result = await judgePair({ id, images, question, responses }, backend, { ...settings });
      await backend.close?.();
      if (options.json) console.log(JSON.stringify(toJson(result), null, 2));
      else printJudgement(result, settings.k);
      if (result.preferred === null) process.exitCode = EXIT.noMajority;
    }),
  );
}

/** The analysis to show: the first sample, in either order, whose choice agrees with the vote. */
function analysisOf(result: PairJudgement): string | null {
  for (const j of result.judgements)
    for (const s of j.samples) {
      const pick = toPairChoice(s.choice, j.firstAt);
      if (pick !== null && pick === result.preferred)
        return (parseJudgement(s.text).analysis ?? s.text).trim();
    }
  return null;
}

function toJson(result: PairJudgement) {
  return {
    preferred: result.preferred,
    votes: {
      response1: result.votes.first,
      response2: result.votes.second,
      unparseable: result.votes.unparseable,
    },
    consistent: result.consistent,
    analysis: analysisOf(result),
    judgements: result.judgements.map((j) => ({
      response1ShownAs: j.firstAt,
      samples: j.samples.map((s) => ({
        ...s,
        picked: toPairChoice(s.choice, j.firstAt),
      })),
    })),
  };
}

function printJudgement(result: PairJudgement, k: number): void {
  const { first, second, unparseable } = result.votes;
  const verdict = result.preferred === null ? 'no majority' : `Response ${result.preferred} is better`;
  console.log(
    `${verdict} (Voting@${k}: ${first} for response 1, ${second} for response 2, ${unparseable} unparseable)`,
  );
  const analysis = analysisOf(result);
  if (analysis) console.log(`\nAnalysis:\n${analysis}\n`);
  for (const j of result.judgements) {
    const shown = j.firstAt === 1 ? 'shown as given' : 'shown swapped';
    j.samples.forEach((s, i) => {
      const pick = s.choice === null ? 'unparseable' : `response ${toPairChoice(s.choice, j.firstAt)}`;
      const route = s.via === 'fallback' ? ', last-digit fallback' : s.strictFormat ? '' : ', loose format';
      console.log(`  sample ${i + 1} (${shown}): ${pick}${route}`);
    });
  }
  if (result.judgements.length === 2)
    console.log(
      `\nPosition consistency: ${result.consistent === null ? 'undecided (an order had no majority)' : result.consistent ? 'both orders agree' : 'the orders disagree'}`,
    );
}
