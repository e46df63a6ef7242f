// The shapes every data source is read into, so that the judge, the benchmark runner and the
// trainer see one format whatever file it came from.

/** Benchmarks the runner knows how to score (docs/spec.md §7), plus the synthetic world's held-out split. */
export type BenchmarkName = 'vl-rewardbench' | 'multimodal-rewardbench' | 'mm-rlhf' | 'synthetic';

/** An image as a loader hands it on: a checked absolute path, or encoded bytes. */
export type ImageInput = string | Uint8Array;

/** One comparison: a question about images, a human-preferred response and a rejected one. */
export interface PreferencePair {
  /** Stable identifier from the source (benchmark id, or `file:line`). */
  id: string;
  question: string;
  /** The human-preferred response. */
  chosen: string;
  rejected: string;
  /**
   * The item's images in prompt order (several for multi-image items; sampled frames for video):
   * an absolute path already checked to lie under the user's images root, or encoded image bytes
   * (PNG/JPEG/…) for sources that embed them, such as the official VL-RewardBench parquet.
   */
  images: ImageInput[];
  /** Scoring category as the benchmark's official rules define it (docs/spec.md §7), when known. */
  category?: string;
  /** Anything else the source carried, kept for reports. */
  meta?: Record<string, unknown>;
}
