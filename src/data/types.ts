// The shapes every data source is read into, so that the judge, the benchmark runner and the
// trainer see one format whatever file it came from.

/** Benchmarks the runner knows how to score (spec §7), plus the synthetic world's held-out split. */
export type BenchmarkName = 'vl-rewardbench' | 'multimodal-rewardbench' | 'mm-rlhf' | 'synthetic';

/** One comparison: a question about images, a human-preferred response and a rejected one. */
export interface PreferencePair {
  /** Stable identifier from the source (benchmark id, or `file:line`). */
  id: string;
  question: string;
  /** The human-preferred response. */
  chosen: string;
  rejected: string;
  /** Image paths relative to the images root (several for multi-image items; frames for video). */
  images: string[];
  /** Scoring category as the benchmark's official rules define it (spec §7), when known. */
  category?: string;
  /** Anything else the source carried, kept for reports. */
  meta?: Record<string, unknown>;
}
