// `r1-reward rank`: rank N candidate answers to an image + question with any R1-Reward-style judge.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { imageToDataUrl } from '../data/index.js';
import { FileJudgementCache } from '../judge/cache.js';
import { DEFAULT_SWISS_ROUNDS, rankCandidates } from '../rank/rank.js';
import { RANK_ORDERS, RANK_SCHEMES, type Ranking, type RankOrder, type RankScheme } from '../rank/types.js';
import {
  addBackendOptions,
  type BackendOptions,
  backendFromOptions,
  exitOnError,
  judgeSettings,
} from './judge-backend-options.js';
import { positiveInteger, withExitCodes } from './options.js';

/** The options `rank` and `best-of-n` share on top of the backend's. */
export interface RankCliOptions extends BackendOptions {
  scheme: RankScheme;
  rounds: number;
}

interface RankCommandOptions extends RankCliOptions {
  image: string[];
  question: string;
  candidate: string[];
  candidates?: string;
  reference?: string;
  cache?: string;
  json?: boolean;
}

/** What the shared backend options mean for ranking, and the defaults they leave unsaid. */
const RANK_HELP: Record<string, string> = {
  '--order': 'each comparison in both orders (a disagreement is a tie) or in one seeded random order',
  '--seed': 'seeds the random order, knockout seeding and swiss pairing; part of the sample cache key',
  '-k': 'samples per comparison and order (Voting@K within an order)',
  '--concurrency': 'judge requests (and items) in flight at once',
  '--model-name': 'model name as the server lists it at /v1/models (default: none; needed with --endpoint)',
  '--checkpoint':
    'judge with the in-process model: a checkpoint trained here, or a run folder for its newest checkpoint (default: none; compact template)',
  '--device': "with --checkpoint: 'cpu', 'cuda' or 'cuda:N' (default: cpu)",
  '--no-use-n': 'never ask for n = k in one request (default: ask, and fall back when the server refuses)',
  '--template':
    'custom judge prompt, .txt or .json with a "template" field (default: the released R1-Reward prompt)',
};

/** Adds --scheme and --rounds, and the backend options with order `both` (or `random`) for ranking. */
export function addRankOptions(command: Command): Command {
  command
    .addOption(
      new Option('--scheme <scheme>', 'how candidates meet (see docs/ranking.md)')
        .choices([...RANK_SCHEMES])
        .default('round-robin'),
    )
    .option('--rounds <n>', 'swiss rounds', positiveInteger('--rounds'), DEFAULT_SWISS_ROUNDS);
  addBackendOptions(command, { concurrency: 16, order: 'both' });
  for (const option of command.options) {
    const help = RANK_HELP[option.long ?? ''] ?? RANK_HELP[option.short ?? ''];
    if (help) option.description = help;
    if (option.long === '--order') option.choices([...RANK_ORDERS]);
  }
  return command;
}

/** The judge settings for ranking: order both or random only. */
export function rankSettings(options: RankCliOptions) {
  const settings = judgeSettings(options);
  if (!(RANK_ORDERS as readonly string[]).includes(settings.order))
    throw new Error(
      `--order ${settings.order} does not apply to ranking: use both (each comparison in both orders) or random`,
    );
  return { ...settings, order: settings.order as RankOrder };
}

/**
 * Candidates from a file: a JSON array of strings when the file starts with `[`, else one candidate per
 * line (blank lines skipped; use the JSON form for candidates that span lines).
 */
export function readCandidatesFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`--candidates ${file}: cannot read it (${(error as Error).message})`);
  }
  if (!text.trimStart().startsWith('[')) return text.split(/\r?\n/).filter((line) => line.trim() !== '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `--candidates ${file} starts with [ but is not valid JSON (${(error as Error).message}); give a JSON array of strings or one candidate per line`,
    );
  }
  if (!Array.isArray(parsed)) throw new Error(`--candidates ${file}: expected a JSON array of strings`);
  parsed.forEach((c, i) => {
    if (typeof c !== 'string')
      throw new Error(`--candidates ${file}: item ${i} is ${JSON.stringify(c)}, not a string`);
  });
  return parsed as string[];
}

export function registerRank(program: Command): void {
  const command = program
    .command('rank')
    .description('rank N candidate answers to an image + question with a pairwise judge (docs/ranking.md)')
    .option(
      '--image <file>',
      'image shown before the prompt (repeat for several, in order)',
      (v, p: string[]) => [...p, v],
      [],
    )
    .requiredOption('--question <text>', 'the question')
    .option('--candidate <text>', 'one candidate answer (repeat for each)', (v, p: string[]) => [...p, v], [])
    .option(
      '--candidates <file>',
      'candidates from a file: a JSON array of strings, or else one candidate per line (default: none)',
    )
    .option('--reference <text>', 'reference answer, for --scheme reference (default: none)')
    .option('--cache <file>', 'sample cache (JSON lines) to reuse and extend (default: in memory only)')
    .option('--json', 'print the whole ranking as JSON (default: a table)');
  withExitCodes(command);
  addRankOptions(command).action(
    exitOnError(async (options: RankCommandOptions) => {
      const settings = rankSettings(options);
      const candidates = [
        ...options.candidate,
        ...(options.candidates ? readCandidatesFile(options.candidates) : []),
      ];
      if (candidates.length === 0)
        throw new Error('give the candidates: --candidate TEXT (repeat) or --candidates FILE');
      if (options.scheme === 'reference' && options.reference === undefined)
        throw new Error('--scheme reference needs --reference TEXT');
      const images = await Promise.all(
        options.image.map((file) => imageToDataUrl(resolve(file), { maxPixels: settings.maxPixels })),
      );
      // The draws are seeded by the content, so the same question and candidates give the same ranking.
      const id = createHash('sha256')
        .update(JSON.stringify([options.question, options.reference ?? null, ...candidates]))
        .digest('hex');
      const backend = backendFromOptions(options);
      const cache = options.cache ? await FileJudgementCache.open(resolve(options.cache)) : undefined;
      let ranking: Ranking;
      try {
        ranking = await rankCandidates(
          {
            id,
            images,
            question: options.question,
            ...(options.reference !== undefined ? { reference: options.reference } : {}),
          },
          candidates,
          backend,
          {
            scheme: options.scheme,
            k: settings.k,
            order: settings.order,
            seed: settings.seed,
            rounds: options.rounds,
            concurrency: options.concurrency,
            ...(settings.template ? { template: settings.template } : {}),
            ...(cache ? { cache } : {}),
          },
        );
      } finally {
        await cache?.close();
        await backend.close?.();
      }
      if (options.json) console.log(JSON.stringify({ ...ranking, texts: candidates }, null, 2));
      else printRanking(ranking, candidates);
    }),
  );
}

const percent = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);

function printRanking(ranking: Ranking, texts: readonly string[]): void {
  const orders = ranking.order === 'both' ? 'both orders' : 'one random order';
  console.log(
    `${ranking.scheme} over ${texts.length} candidates (k = ${ranking.k}, ${orders}, seed ${ranking.seed}): best is candidate ${ranking.best}`,
  );
  console.log('rank  cand  score  strength  W-L-T     answer');
  for (const index of ranking.ranked) {
    const c = ranking.candidates[index]!;
    const text = texts[index]!.replace(/\s+/g, ' ');
    console.log(
      `${String(c.rank).padEnd(6)}${String(index).padEnd(6)}${c.score.toFixed(3).padEnd(7)}${c.strength.toFixed(3).padEnd(10)}${`${c.wins}-${c.losses}-${c.ties}`.padEnd(10)}${text.length > 60 ? `${text.slice(0, 57)}…` : text}`,
    );
  }
  const { calls, consistency } = ranking;
  console.log(
    `judge: ${calls.requests} requests (${calls.sent} sent, ${calls.requests - calls.sent} from the cache), ${calls.samples} samples; ` +
      `position consistency ${percent(consistency.rate)} (${consistency.agree}/${consistency.compared}, ${consistency.undecided} undecided); ` +
      `${ranking.unparseable} unparseable samples`,
  );
}
