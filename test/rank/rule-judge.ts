// An in-process JudgeBackend that decides by rules from the rendered R1-Reward prompt, for ranking tests.
// Each candidate text carries its true quality as `q=<number>`; the judge prefers the higher one, and
// can be made noisy (a seeded coin per sample), position-biased (picks Response 1 regardless) or
// unparseable. Draws are keyed by the request's content and the sample's index, never by timing, so a
// ranking's results are fixed by the seed however its requests interleave.
import { createHash } from 'node:crypto';
import { parseR1RewardPrompt } from '../../src/data/r1-reward-format.js';
import type { JudgeBackend, JudgeRequest } from '../../src/judge/backend.js';

export interface RuleJudgeConfig {
  /** Probability that a sample picks Response 1 whatever the responses say. */
  positionBias?: number;
  /** Probability that a sample picks a side by a fair coin instead of by quality. */
  noise?: number;
  /** Probability that a sample is unparseable text. */
  unparseable?: number;
  seed?: number;
}

/** The quality a candidate text declares (`q=3.5`); texts without one have quality 0. */
export function qualityOf(text: string): number {
  const match = /q=(-?\d+(?:\.\d+)?)/.exec(text);
  return match ? Number(match[1]) : 0;
}

/** A uniform number in [0, 1) from a hash of the parts. */
function uniform(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The rule for sample `index` of a prompt: unparseable with probability `unparseable`, else Response 1 with
 * probability `positionBias`, else a fair coin with probability `noise`, else the higher quality (equal
 * qualities: Response 1).
 */
export function ruleSample(prompt: string, index: number, config: RuleJudgeConfig = {}): string {
  const parts = parseR1RewardPrompt(prompt);
  if (!parts) throw new Error('the rule judge reads the R1-Reward prompt; got another template');
  const seed = config.seed ?? 0;
  if (uniform(seed, 'unparseable', prompt, index) < (config.unparseable ?? 0)) return 'I cannot tell.';
  let pick: 1 | 2;
  if (uniform(seed, 'bias', prompt, index) < (config.positionBias ?? 0)) pick = 1;
  else if (uniform(seed, 'noise', prompt, index) < (config.noise ?? 0))
    pick = uniform(seed, 'coin', prompt, index) < 0.5 ? 1 : 2;
  else pick = qualityOf(parts.answer1) >= qualityOf(parts.answer2) ? 1 : 2;
  return `<think>Response ${pick} fits the image better.</think><answer>${pick}</answer>`;
}

/** A real JudgeBackend driven by {@link ruleSample}; it records every request it answers. */
export class RuleJudge implements JudgeBackend {
  readonly identity: string;
  /** Requests answered, in the order they arrived, with the number of samples asked for. */
  readonly requests: { text: string; images: readonly string[]; k: number }[] = [];
  /** Samples drawn so far per prompt, so that a repeated request draws new samples. */
  private readonly drawn = new Map<string, number>();

  constructor(readonly config: RuleJudgeConfig = {}) {
    this.identity = `rule-judge:${JSON.stringify(config)}`;
  }

  get samples(): number {
    return this.requests.reduce((sum, r) => sum + r.k, 0);
  }

  async sample(request: JudgeRequest, k: number): Promise<string[]> {
    this.requests.push({ text: request.text, images: request.images, k });
    const start = this.drawn.get(request.text) ?? 0;
    this.drawn.set(request.text, start + k);
    return Array.from({ length: k }, (_, i) => ruleSample(request.text, start + i, this.config));
  }
}
