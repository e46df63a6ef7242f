// One entry point for every benchmark the runner scores: a stream of PreferencePairs.
import { extname } from 'node:path';
import type { ReadOptions } from './item-images.js';
import { readMmRlhfRewardBench } from './loaders/mm-rlhf.js';
import { readMultimodalRewardBench } from './loaders/multimodal-rewardbench.js';
import { readPairJsonl, readVlRewardBenchParquet } from './loaders/vl-rewardbench.js';
import type { BenchmarkName, PreferencePair } from './types.js';

/** The benchmark names {@link readBenchmark} and the scorers accept. */
export const BENCHMARK_NAMES: readonly BenchmarkName[] = [
  'vl-rewardbench',
  'multimodal-rewardbench',
  'mm-rlhf',
  'synthetic',
];

/**
 * Streams a benchmark file as PreferencePairs with unique ids and official categories (docs/spec.md §7):
 * - `vl-rewardbench`: the R1-Reward JSONL copy, or the official parquet (by the `.parquet` extension);
 * - `multimodal-rewardbench`: the JSON list `all_data.json`;
 * - `mm-rlhf`: MM-RLHF-RewardBench JSONL (image and video items);
 * - `synthetic`: the synthetic world's held-out split (VL-copy shape plus `category`).
 * Image paths resolve under `imagesRoot` (default: the file's folder). See `ReadOptions`.
 */
export function readBenchmark(
  benchmark: BenchmarkName,
  file: string,
  options: ReadOptions = {},
): AsyncIterable<PreferencePair> {
  switch (benchmark) {
    case 'vl-rewardbench':
      return extname(file).toLowerCase() === '.parquet'
        ? readVlRewardBenchParquet(file, options)
        : readPairJsonl(file, options, 'official');
    case 'multimodal-rewardbench':
      return readMultimodalRewardBench(file, options);
    case 'mm-rlhf':
      return readMmRlhfRewardBench(file, options);
    case 'synthetic':
      return readPairJsonl(file, options, 'record');
    default:
      throw new RangeError(
        `unknown benchmark ${JSON.stringify(benchmark)}; expected one of ${BENCHMARK_NAMES.join(', ')}`,
      );
  }
}
