// `r1-reward best-of-n`: rank the candidates of every item of a JSON-lines file into RUN_DIR (resumable).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type BestOfNResult, runBestOfN } from '../rank/best-of-n.js';
import { imagesFolderFor, loadItemImages, readBestOfNItems } from '../rank/best-of-n-data.js';
import { backendFromOptions, exitOnError } from './judge-backend-options.js';
import { deprecatedAlias, resolveCheckpointPath, withExitCodes } from './options.js';
import { addRankOptions, type RankCliOptions, rankSettings } from './rank.js';
import { abortOnInterrupt, itemsProgressBar, reportAborted, reportFailures } from './run-controls.js';

interface BestOfNCliOptions extends RankCliOptions {
  data: string;
  imagesRoot?: string;
  out: string;
  cache?: string | false;
  progress: boolean;
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
      '--images-root <dir>',
      'folder relative image paths resolve under; absolute paths are used as given (default: the data file’s folder)',
    )
    .requiredOption(
      '--out <dir>',
      'run directory: run.json, rankings.jsonl, errors.jsonl, cache.jsonl, summary.json',
    )
    .option('--cache <file>', 'sample cache, shareable between runs (default: RUN_DIR/cache.jsonl)')
    .option('--no-cache', 'do not read or write the cache (default: cached)')
    .option('--no-progress', 'no progress bar (default: shown on stderr)');
  deprecatedAlias(command, '--images <dir>', '--images-root');
  withExitCodes(command, ['interrupted']);
  addRankOptions(command).action(
    exitOnError(async (options: BestOfNCliOptions) => {
      const settings = rankSettings(options);
      const data = resolve(options.data);
      const items = await readBestOfNItems(data, { requireReference: options.scheme === 'reference' });
      const root = imagesFolderFor(data, options.imagesRoot);
      const backend = backendFromOptions(options);
      const out = resolve(options.out);
      const interrupt = abortOnInterrupt('starting nothing new, keeping every ranking written');
      const bar = itemsProgressBar(
        options.progress && !process.env.CI,
        'errors {errors} | requests sent {sent}',
      );
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
            checkpoint: options.checkpoint ? resolve(resolveCheckpointPath(options.checkpoint)) : null,
            model: options.modelName ?? null,
            temperature: options.temperature,
            topP: options.topP,
            maxTokens: options.maxTokens,
            template: options.template ? resolve(options.template) : 'r1-reward (docs/spec.md §2)',
            maxPixels: options.maxPixels,
            concurrency: options.concurrency,
          },
          signal: interrupt.signal,
          onProgress: (p) =>
            bar.update({
              done: p.done,
              total: p.total,
              worked: p.ranked,
              columns: { errors: p.errors, sent: p.sent },
            }),
          onWarning: (m) => console.error(m),
        });
      } finally {
        bar.stop();
        interrupt.release();
        await backend.close?.();
      }
      report(result, out);
      if (reportAborted(result, out)) return;
      reportFailures(result, out);
    }),
  );
}
