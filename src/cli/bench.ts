// `r1-reward bench run` (judge a benchmark into RUN_DIR, resumable) and `r1-reward bench score`
// (recompute metrics.json, report.md, report.html from the saved judgements).
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BENCHMARK_NAMES, imageToDataUrl, readBenchmark } from '../data/index.js';
import type { BenchmarkName } from '../data/types.js';
import { type RunProgress, runBenchmark } from '../eval/runner.js';
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

interface RunCliOptions extends BackendOptions {
  benchmark: BenchmarkName;
  data: string;
  images?: string;
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

/** A progress bar on stderr with items/s over the items judged by this invocation and an ETA from that rate. */
function progressBar(enabled: boolean) {
  const bar = new SingleBar({
    format:
      '{bar} {value}/{total} items | {speed} items/s | ETA {etaText} | errors {errors} | unparseable {unparseable}',
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
    stream: process.stderr,
    fps: 5,
  });
  const started = performance.now();
  let running = false;
  return {
    update(p: RunProgress) {
      if (!enabled) return;
      const seconds = (performance.now() - started) / 1000;
      const speed = seconds > 0 ? p.judged / seconds : 0;
      const remaining = p.total === undefined ? undefined : p.total - p.done;
      const eta = remaining !== undefined && speed > 0 ? remaining / speed : undefined;
      const payload = {
        speed: speed.toFixed(2),
        etaText: eta === undefined ? '–' : new Date(eta * 1000).toISOString().slice(11, 19),
        errors: p.errors,
        unparseable: p.unparseable,
      };
      if (!running) {
        bar.start(p.total ?? 0, p.done, payload);
        running = true;
      } else bar.update(p.done, payload);
    },
    stop() {
      if (running) bar.stop();
    },
  };
}

async function countItems(
  benchmark: BenchmarkName,
  data: string,
  imagesRoot: string | undefined,
): Promise<number> {
  let n = 0;
  for await (const _ of readBenchmark(benchmark, data, {
    checkImages: false,
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
    )
    .requiredOption('--data <file>', 'the benchmark file (JSONL, JSON or parquet, see docs/judging.md)')
    .option(
      '--images <dir>',
      'folder the image paths in the data are relative to (default: the data file’s folder)',
    )
    .option(
      '--skip-missing',
      'skip items whose images are missing or undecodable (listed on stderr) instead of stopping',
    )
    .option(
      '--no-check-images',
      'do not open images while reading (items whose images are absent then fail as errors)',
    )
    .requiredOption('--out <dir>', 'run directory: run.json, judgements.jsonl, errors.jsonl, cache, reports')
    .option(
      '--cache <file>',
      'content-keyed sample cache, shareable between runs (default RUN_DIR/cache.jsonl)',
    )
    .option('--no-cache', 'do not read or write the cache')
    .option('--no-progress', 'no progress bar');
  addBackendOptions(run, { concurrency: 16 }).action(
    exitOnError(async (options: RunCliOptions) => {
      const settings = judgeSettings(options);
      const backend = backendFromOptions(options);
      const out = resolve(options.out);
      const read = {
        ...(options.images ? { imagesRoot: resolve(options.images) } : {}),
        skipMissing: options.skipMissing ?? false,
        checkImages: options.checkImages,
        onSkip: (id: string, reason: string) => console.error(`skipped ${id}: ${reason}`),
      };
      const total = await countItems(options.benchmark, options.data, read.imagesRoot);
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts > 1) process.exit(130);
        console.error(
          '\nstopping: finishing nothing new, keeping every judgement written (Ctrl-C again to quit at once)',
        );
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigint);
      const bar = progressBar(options.progress && !process.env.CI);
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
            local: options.local ? resolve(options.local) : null,
            model: options.model,
            temperature: options.temperature,
            topP: options.topP,
            maxTokens: options.maxTokens,
            template: options.template ? resolve(options.template) : 'r1-reward (docs/spec.md §2)',
            maxPixels: options.maxPixels,
          },
          signal: controller.signal,
          onProgress: (p) => bar.update(p),
          onWarning: (m) => console.error(m),
        });
      } finally {
        bar.stop();
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigint);
        await backend.close?.();
      }
      const line = `${summary.done}/${total} items judged (${summary.judged} now, ${summary.skipped} from earlier runs), ${summary.errors} errors, ${summary.unparseable} unparseable samples, ${summary.cached} from the cache`;
      console.error(line);
      if (summary.duplicateIds.length > 0)
        console.error(
          `${summary.duplicateIds.length} duplicate ids in the data were judged once: ${summary.duplicateIds.slice(0, 5).join(', ')}…`,
        );
      if (summary.aborted) {
        console.error(`stopped; rerun the same command to resume into ${out}`);
        process.exitCode = 130;
        return;
      }
      if (summary.done > 0) {
        const { metrics } = await scoreRun(out, 'official');
        console.log(headline(metrics));
      }
      if (summary.stoppedBecause) console.error(summary.stoppedBecause);
      if (summary.errors > 0) {
        console.error(
          `${summary.errors} items failed (see ${out}/errors.jsonl); rerun the same command to retry them`,
        );
        process.exitCode = 1;
      }
    }),
  );

  bench
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
      'exit with status 3 when overall accuracy is below this (CI)',
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
          process.exitCode = 3;
        }
      }),
    );
}
