// Benchmark categories exactly as the official scorers define them (docs/spec.md §7).

/** VL-RewardBench fine-grained source, from the id prefix up to the first `_` or `-` (official rule). */
export type VlRewardBenchSource = 'rlaif-v' | 'rlhf-v' | 'reasoning' | 'wildvision' | 'povid' | 'vlfeedback';
/** VL-RewardBench's three official categories (general, hallucination, reasoning). */
export type VlRewardBenchCategory = 'general' | 'hallucination' | 'reasoning';

/**
 * VL-RewardBench's fine-grained source of an item, from its id prefix (the official rule; any other prefix is
 * vlfeedback).
 */
export function vlRewardBenchSource(id: string): VlRewardBenchSource {
  const prefix = id.split(/[_-]/, 1)[0] ?? '';
  switch (prefix) {
    case 'RLAIF':
      return 'rlaif-v';
    case 'RLHF':
      return 'rlhf-v';
    case 'mathverse':
    case 'mmmu':
      return 'reasoning';
    case 'wildvision':
      return 'wildvision';
    case 'hallucination':
      return 'povid';
    default:
      return 'vlfeedback';
  }
}

/** Official VL-RewardBench group: general = {vlfeedback, wildvision}, hallucination = {povid, rlhf-v, rlaif-v}. */
export function vlRewardBenchCategory(id: string): VlRewardBenchCategory {
  const source = vlRewardBenchSource(id);
  if (source === 'reasoning') return 'reasoning';
  return source === 'vlfeedback' || source === 'wildvision' ? 'general' : 'hallucination';
}

/**
 * The released R1-Reward evaluation's grouping (case-sensitive substring test), which puts the
 * upper-case `RLAIF-V…`/`RLHF-V…` ids into general: 484 / 448 / 318 instead of 183 / 749 / 318.
 */
export function vlRewardBenchR1CompatCategory(id: string): VlRewardBenchCategory {
  if (id.includes('mmmu') || id.includes('mathverse')) return 'reasoning';
  if (id.includes('hallucination') || id.includes('rlhf') || id.includes('rlaif')) return 'hallucination';
  return 'general';
}

/**
 * Multimodal RewardBench category as its official scorer reports it: `safety` split into
 * `safety/bias` (ids starting `pairs`) and `safety/toxicity`; `reasoning` into `reasoning/math`
 * (ids starting `math`) and `reasoning/coding`; other categories unchanged.
 */
export function multimodalRewardBenchCategory(id: string, category: string): string {
  const lower = id.toLowerCase();
  if (category === 'safety') return lower.startsWith('pairs') ? 'safety/bias' : 'safety/toxicity';
  if (category === 'reasoning') return lower.startsWith('math') ? 'reasoning/math' : 'reasoning/coding';
  return category;
}

/** MM-RLHF-RewardBench keywords, in the order the official scorer tries them. */
export const MM_RLHF_CATEGORIES = ['mcq', 'long', 'short', 'safety', 'video'] as const;

/** The first of mcq/long/short/safety/video contained in the image or video path (undefined if none). */
export function mmRlhfCategory(path: string): string | undefined {
  return MM_RLHF_CATEGORIES.find((keyword) => path.includes(keyword));
}
