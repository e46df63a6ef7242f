// `r1-reward bench run` (judge a benchmark into RUN_DIR, resumable) and `r1-reward bench score`
// (recompute metrics.json, report.md, report.html from the saved judgements).
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BENCHMARK_NAMES, imageToDataUrl, readBenchmark } from '../data/index.js';
import type { BenchmarkName } from '../data/types.js';
import { runBenchmark } from '../eval/runner.js';
import type { Metrics } from '../eval/score.js';
import { scoreRun } from '../eval/score-run.js';
import { SCORE_PROTOCOLS, type ScoreProtocol } from '../eval/scoring-rules.js';
import {
  addBackendOptions,
  type BackendOptions,
  backendFromOptions,
  exitOnError,
  judgeSettings,
} from './judge-backend-options.js';
import {
  addDataOption,
  addImagesRootOption,
  deprecatedAlias,
  EXIT,
  resolveCheckpointPath,
  withExitCodes,
} from './options.js';
import { abortOnInterrupt, itemsProgressBar, reportAborted, reportFailures } from './run-controls.js';

interface RunCliOptions extends BackendOptions {
  benchmark: BenchmarkName;
  data: string;
  imagesRoot?: string;
  out: string;
  skipMissing?: boolean;
  checkImages: boolean;
  cache?: string | false;
  progress: boolean;
}

interface ScoreCliOptions {
  protocol: ScoreProtocol;
  minAccuracy?: number;
  json?: boolean;
}

const fraction = (value: string): number => {
  const x = Number(value);
  if (value.trim() === '' || !(x >= 0 && x <= 1))
    throw new InvalidArgumentError(
      `--min-accuracy is a fraction in [0, 1] (0.7 for 70 %), got ${JSON.stringify(value)}`,
    );
  return x;
};

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(2)} %`);

function headline(m: Metrics): string {
  const parts = [`overall ${pct(m.overall)}`];
  if (m.macro !== null) parts.push(`macro ${pct(m.macro)}`);
  if (m.accPlus !== null) parts.push(`Acc+ ${pct(m.accPlus)}`);
  parts.push(`${m.unparseable.count} unparseable of ${m.unparseable.samples} samples`);
  if (m.positionConsistency) parts.push(`position consistency ${pct(m.positionConsistency.rate)}`);
  return `${m.benchmark} (${m.protocol}, ${m.items} items, k = ${m.k}, order ${m.order}): ${parts.join(', ')}`;
}

/** Items the run will read (without opening images; items skipped by --skip-missing not counted). */
async function countItems(
  benchmark: BenchmarkName,
  data: string,
  imagesRoot: string | undefined,
  skipMissing: boolean,
): Promise<number> {
  let n = 0;
  for await (const _ of readBenchmark(benchmark, data, {
    checkImages: false,
    skipMissing,
    ...(imagesRoot ? { imagesRoot } : {}),
  }))
    n++;
  return n;
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('judge a benchmark and score it (docs/spec.md §7)');

  const run = bench
    .command('run')
    .description('judge every item of a benchmark into RUN_DIR/judgements.jsonl (a rerun resumes)')
    .addOption(
      new Option('--benchmark <name>', 'which benchmark').choices([...BENCHMARK_NAMES]).makeOptionMandatory(),
    );
  addDataOption(run, 'the benchmark file (JSONL, JSON or parquet, see docs/judging.md)');
  addImagesRootOption(run)
    .option(
      '--skip-missing',
      'skip items whose images are missing, undecodable or outside the images folder (listed on stderr, counted) instead of stopping',
    )
    .option(
      '--no-check-images',
      'do not open images while reading (items whose images are absent then fail as errors)',
    )
    .requiredOption('--out <dir>', 'run directory: run.json, judgements.jsonl, errors.jsonl, cache, reports')
    .option(
      '--cache <file>',
      'content-keyed sample cache, shareable between runs (default: RUN_DIR/cache.jsonl)',
    )
    .option('--no-cache', 'do not read or write the cache')
    .option('--no-progress', 'no progress bar');
  deprecatedAlias(run, '--images <dir>', '--images-root');
  withExitCodes(run, ['interrupted']);
  addBackendOptions(run, { concurrency: 16 }).action(
    exitOnError(async (options: RunCliOptions) => {
      const settings = judgeSettings(options);
      const backend = backendFromOptions(options);
      const out = resolve(options.out);
      let unreadable = 0;
      const read = {
        ...(options.imagesRoot ? { imagesRoot: resolve(options.imagesRoot) } : {}),
        skipMissing: options.skipMissing ?? false,
        checkImages: options.checkImages,
        onSkip: (id: string, reason: string) => {
          unreadable++;
          console.error(`skipped ${id}: ${reason}`);
        },
      };
      const total = await countItems(options.benchmark, options.data, read.imagesRoot, read.skipMissing);
      const interrupt = abortOnInterrupt('finishing nothing new, keeping every judgement written');
      const bar = itemsProgressBar(
        options.progress && !process.env.CI,
        'errors {errors} | unparseable {unparseable}',
      );
      let summary: Awaited<ReturnType<typeof runBenchmark>>;
      try {
        summary = await runBenchmark(readBenchmark(options.benchmark, options.data, read), {
          outDir: out,
          benchmark: options.benchmark,
          backend,
          k: settings.k,
          order: settings.order,
          seed: settings.seed,
          concurrency: options.concurrency,
          ...(settings.template ? { template: settings.template } : {}),
          cacheFile: options.cache === false ? null : options.cache ? resolve(options.cache) : undefined,
          encodeImage: (image) => imageToDataUrl(image, { maxPixels: settings.maxPixels }),
          total,
          config: {
            data: resolve(options.data),
            images: read.imagesRoot ?? null,
            endpoints: options.endpoint,
            checkpoint: options.checkpoint ? resolve(resolveCheckpointPath(options.checkpoint)) : null,
            model: options.modelName,
            temperature: options.temperature,
            topP: options.topP,
            maxTokens: options.maxTokens,
            template: options.template ? resolve(options.template) : 'r1-reward (docs/spec.md §2)',
            maxPixels: options.maxPixels,
          },
          signal: interrupt.signal,
          onProgress: (p) =>
            bar.update({
              done: p.done,
              total: p.total,
              worked: p.judged,
              columns: { errors: p.errors, unparseable: p.unparseable },
            }),
          onWarning: (m) => console.error(m),
        });
      } finally {
        bar.stop();
        interrupt.release();
        await backend.close?.();
      }
      const line = `${summary.done}/${total} items judged (${summary.judged} now, ${summary.skipped} from earlier runs), ${summary.errors} errors, ${summary.unparseable} unparseable samples, ${summary.cached} from the cache`;
      console.error(line);
      if (unreadable > 0)
        console.error(
          `${unreadable} ${unreadable === 1 ? 'item' : 'items'} skipped (--skip-missing): an image missing, undecodable or outside the images folder`,
        );
      if (summary.duplicateIds.length > 0)
        console.error(
          `${summary.duplicateIds.length} duplicate ids in the data were judged once: ${summary.duplicateIds.slice(0, 5).join(', ')}…`,
        );
      if (reportAborted(summary, out)) return;
      if (summary.done > 0) {
        const { metrics } = await scoreRun(out, 'official');
        console.log(headline(metrics));
      }
      reportFailures(summary, out);
    }),
  );

  const score = bench
    .command('score')
    .description('recompute metrics.json, report.md and report.html from RUN_DIR/judgements.jsonl')
    .argument('<run-dir>', 'the --out directory of `bench run`')
    .addOption(
      new Option(
        '--protocol <protocol>',
        'official scoring, or r1-compat (the released R1-Reward evaluation)',
      )
        .choices([...SCORE_PROTOCOLS])
        .default('official'),
    )
    .option(
      '--min-accuracy <fraction>',
      `exit with status ${EXIT.belowMinAccuracy} when overall accuracy is below this (CI) (default: none)`,
      fraction,
    )
    .option('--json', 'print metrics.json to stdout')
    .action(
      exitOnError(async (runDir: string, options: ScoreCliOptions) => {
        const { metrics, files } = await scoreRun(resolve(runDir), options.protocol);
        if (options.json) console.log(JSON.stringify(metrics, null, 2));
        else {
          console.log(headline(metrics));
          console.log(`wrote ${files.join(', ')}`);
        }
        if (
          options.minAccuracy !== undefined &&
          !(metrics.overall !== null && metrics.overall >= options.minAccuracy)
        ) {
          console.error(
            `overall accuracy ${pct(metrics.overall)} is below --min-accuracy ${pct(options.minAccuracy)}`,
          );
          process.exitCode = EXIT.belowMinAccuracy;
        }
      }),
    );
  withExitCodes(score, ['belowMinAccuracy']);
}
