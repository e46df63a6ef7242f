// `r1-reward best-of-n`: rank the candidates of every item of a JSON-lines file into RUN_DIR (resumable).
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type BestOfNProgress, type BestOfNResult, runBestOfN } from '../rank/best-of-n.js';
import { imagesFolderFor, loadItemImages, readBestOfNItems } from '../rank/best-of-n-data.js';
import { backendFromOptions, exitOnError } from './judge-backend-options.js';
import { addRankOptions, type RankCliOptions, rankSettings } from './rank.js';

interface BestOfNCliOptions extends RankCliOptions {
  data: string;
  images?: string;
  out: string;
  cache?: string | false;
  progress: boolean;
}

/** A progress bar on stderr with items/s over this session's ranked items and an ETA from that rate. */
function progressBar(enabled: boolean) {
  const bar = new SingleBar({
    format:
      '{bar} {value}/{total} items | {speed} items/s | ETA {etaText} | errors {errors} | requests sent {sent}',
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
    stream: process.stderr,
    fps: 5,
  });
  const started = performance.now();
  let running = false;
  return {
    update(p: BestOfNProgress) {
      if (!enabled) return;
      const seconds = (performance.now() - started) / 1000;
      const speed = seconds > 0 ? p.ranked / seconds : 0;
      const eta = speed > 0 ? (p.total - p.done) / speed : undefined;
      const payload = {
        speed: speed.toFixed(2),
        etaText: eta === undefined ? '–' : new Date(eta * 1000).toISOString().slice(11, 19),
        errors: p.errors,
        sent: p.sent,
      };
      if (!running) {
        bar.start(p.total, p.done, payload);
        running = true;
      } else bar.update(p.done, payload);
    },
    stop() {
      if (running) bar.stop();
    },
  };
}

const percent = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);

function report(result: BestOfNResult, out: string): void {
  const { summary } = result;
  console.error(
    `${result.done}/${result.total} items ranked (${result.ranked} now, ${result.skipped} from earlier runs), ${result.errors} errors`,
  );
  console.log(
    `${summary.settings.scheme} (k = ${summary.settings.k}, order ${summary.settings.order}): ${summary.items} items, ` +
      `${summary.meanCalls.requests.toFixed(1)} judge requests per item (${summary.meanCalls.sent.toFixed(1)} sent), ` +
      `position consistency ${percent(summary.consistency.rate)}, ${summary.unparseable.count} unparseable of ${summary.unparseable.samples} samples; ` +
      `wrote ${out}/summary.json`,
  );
}

export function registerBestOfN(program: Command): void {
  const command = program
    .command('best-of-n')
    .description(
      'rank the candidates of every item of a JSON-lines file into RUN_DIR/rankings.jsonl (a rerun resumes)',
    )
    .requiredOption(
      '--data <file>',
      'JSON lines {id, images: [paths], question, candidates: [texts], reference?} (docs/ranking.md)',
    )
    .option(
      '--images <dir>',
      'folder relative image paths resolve under; absolute paths are used as given (default: the data file’s folder)',
    )
    .requiredOption(
      '--out <dir>',
      'run directory: run.json, rankings.jsonl, errors.jsonl, cache.jsonl, summary.json',
    )
    .option('--cache <file>', 'sample cache, shareable between runs (default RUN_DIR/cache.jsonl)')
    .option('--no-cache', 'do not read or write the cache (default: cached)')
    .option('--no-progress', 'no progress bar (default: shown on stderr)');
  addRankOptions(command).action(
    exitOnError(async (options: BestOfNCliOptions) => {
      const settings = rankSettings(options);
      const data = resolve(options.data);
      const items = await readBestOfNItems(data, { requireReference: options.scheme === 'reference' });
      const root = imagesFolderFor(data, options.images);
      const backend = backendFromOptions(options);
      const out = resolve(options.out);
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts > 1) process.exit(130);
        console.error(
          '\nstopping: starting nothing new, keeping every ranking written (Ctrl-C again to quit at once)',
        );
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigint);
      const bar = progressBar(options.progress && !process.env.CI);
      let result: BestOfNResult;
      try {
        result = await runBestOfN(items, {
          outDir: out,
          backend,
          rank: {
            scheme: options.scheme,
            k: settings.k,
            order: settings.order,
            seed: settings.seed,
            ...(options.scheme === 'swiss' ? { rounds: options.rounds } : {}),
            concurrency: options.concurrency,
            ...(settings.template ? { template: settings.template } : {}),
          },
          concurrency: options.concurrency,
          cacheFile: options.cache === false ? null : options.cache ? resolve(options.cache) : undefined,
          loadImages: (item) => loadItemImages(item, root, { maxPixels: settings.maxPixels }),
          config: {
            data,
            images: root,
            endpoints: options.endpoint,
            local: options.local ? resolve(options.local) : null,
            model: options.model ?? null,
            temperature: options.temperature,
            topP: options.topP,
            maxTokens: options.maxTokens,
            template: options.template ? resolve(options.template) : 'r1-reward (docs/spec.md §2)',
            maxPixels: options.maxPixels,
            concurrency: options.concurrency,
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
      report(result, out);
      if (result.aborted) {
        console.error(`stopped; rerun the same command to resume into ${out}`);
        process.exitCode = 130;
        return;
      }
      if (result.stoppedBecause) console.error(result.stoppedBecause);
      if (result.errors > 0) {
        console.error(
          `${result.errors} items failed (see ${out}/errors.jsonl); rerun the same command to retry them`,
        );
        process.exitCode = 1;
      }
    }),
  );
}
