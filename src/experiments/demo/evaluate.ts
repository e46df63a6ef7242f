// One checkpoint judged on the held-out benchmark split by the benchmark runner through the
// in-process backend (compact template), both response orders, k samples each; then scored.
import { imageToDataUrl, readBenchmark } from '../../data/index.js';
import type { PreferencePair } from '../../data/types.js';
import { runBenchmark } from '../../eval/runner.js';
import { type ScoredRun, scoreRun } from '../../eval/score-run.js';
import { LocalModelBackend } from '../../judge/local-backend.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import { COMPACT_TEMPLATE } from '../../model/judge-format.js';
import { encodeItems } from '../../train/judge-items.js';
import type { DemoConfig } from './config.js';

export async function evaluateCheckpoint(
  checkpoint: string,
  benchmarkFile: string,
  outDir: string,
  config: Pick<DemoConfig, 'evaluation' | 'seed'>,
): Promise<ScoredRun> {
  const { items, k, temperature, maxTokens, concurrency } = config.evaluation;
  const pairs: PreferencePair[] = [];
  for await (const pair of readBenchmark('synthetic', benchmarkFile)) {
    if (pairs.length >= items) break;
    pairs.push(pair);
  }
  const fitting = await pairsThatFit(pairs, checkpoint, maxTokens);
  const backend = new LocalModelBackend({
    checkpoint,
    temperature,
    topP: 1,
    maxTokens,
    seed: config.seed,
    maxBatchPrompts: concurrency,
  });
  try {
    const summary = await runBenchmark(fitting, {
      outDir,
      benchmark: 'synthetic',
      backend,
      k,
      order: 'both',
      seed: config.seed,
      concurrency,
      template: COMPACT_TEMPLATE,
      encodeImage: (image) => imageToDataUrl(image),
      total: fitting.length,
      config: {
        data: benchmarkFile,
        local: checkpoint,
        temperature,
        maxTokens,
        pairs: pairs.length,
        tooLong: pairs.length - fitting.length,
      },
      onWarning: (message) => console.error(message),
    });
    if (summary.errors > 0 || summary.done < fitting.length)
      throw new Error(
        `${summary.errors} of ${fitting.length} held-out items failed to judge (see ${outDir}/errors.jsonl); rerun the demo to retry them`,
      );
  } finally {
    await backend.close();
  }
  return scoreRun(outDir, 'official');
}

/**
 * The pairs whose judge prompt leaves `maxTokens` of room in the model's context (the trainers'
 * held-out split drops the same ones); the rest would fail in the backend.
 */
async function pairsThatFit(
  pairs: readonly PreferencePair[],
  checkpoint: string,
  maxTokens: number,
): Promise<PreferencePair[]> {
  const { model, tokenizer } = loadCheckpoint(checkpoint);
  const items = pairs.map((p) => ({
    id: p.id,
    question: p.question,
    response1: p.chosen,
    response2: p.rejected,
    label: 1 as const,
    images: p.images,
  }));
  const { items: kept } = await encodeItems(items, tokenizer, model.config, {
    withTrace: false,
    responseBudget: maxTokens,
  });
  const ids = new Set(kept.map((e) => e.id));
  const fitting = pairs.filter((p) => ids.has(p.id));
  if (fitting.length === 0)
    throw new Error(
      `no held-out pair fits the model's context of ${model.config.maxSeqLen} tokens with ${maxTokens} tokens to answer; use a larger model preset or fewer evaluation tokens`,
    );
  return fitting;
}
