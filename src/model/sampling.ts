// Choosing the next token from one row of logits: temperature, top-k, top-p (nucleus), greedy.
// Runs in TypeScript on the row copied out of the engine: a 16 × vocab copy per step is cheap next
// to the forward pass, and a seeded JS generator makes sampling reproducible across devices.
import type { Rng } from '../algo/random.js';

/** How one token is drawn: temperature (0 = greedy), top-k and top-p. */
export interface SamplingParams {
  /** 0 means greedy (argmax). */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = off). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 = off). */
  topP?: number;
}

/** A drawn token and its log-prob under the full distribution at temperature 1. */
export interface SampledToken {
  token: number;
  /** log p(token) under the model's full distribution (temperature 1, no filtering): the value a
   *  full forward pass scores, so rollouts and the trainer's old-policy pass agree. */
  logProb: number;
}

/** Checks sampling parameters; throws a RangeError naming the bad one. */
export function checkSamplingParams({ temperature = 1, topK = 0, topP = 1 }: SamplingParams): void {
  if (!(temperature >= 0) || !Number.isFinite(temperature))
    throw new RangeError(`temperature must be ≥ 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be an integer ≥ 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${topP}`);
}

/** log-softmax of `logits[offset .. offset+vocab)` evaluated at `token`. */
export function logSoftmaxAt(logits: Float32Array, offset: number, vocab: number, token: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(logits[offset + i]! - max);
  return logits[offset + token]! - max - Math.log(sum);
}

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);

/**
 * Token ids by descending logit, ties by ascending id: the order of
 * `ids.sort((x, y) => logits[y] - logits[x] || x - y)`, but sorted as packed numeric keys by the
 * native typed-array sort (several times faster, and this runs once per row and step).
 */
export function orderByLogit(logits: Float32Array, offset: number, vocab: number): Int32Array {
  if (vocab > 1 << 21) throw new RangeError(`orderByLogit: vocab ${vocab} exceeds 2^21`);
  const keys = new Float64Array(vocab);
  const shift = 2 ** 21;
  for (let i = 0; i < vocab; i++) {
    asFloat[0] = logits[offset + i]! || 0; // -0 → +0: the comparator treats them as equal
    const u = bits[0]!;
    // Float bits → an unsigned integer in the same order, then flipped so larger logits come first.
    const ordered = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    keys[i] = (0xffffffff - ordered) * shift + i;
  }
  keys.sort();
  const order = new Int32Array(vocab);
  for (let r = 0; r < vocab; r++) order[r] = keys[r]! % shift;
  return order;
}

/** Draws one token from a row of logits with the given parameters and generator. */
export function sampleToken(
  logits: Float32Array,
  offset: number,
  vocab: number,
  params: SamplingParams,
  rng: Rng,
): SampledToken {
  const { temperature = 1, topK = 0, topP = 1 } = params;
  let token = 0;
  if (temperature === 0) {
    for (let i = 1; i < vocab; i++) if (logits[offset + i]! > logits[offset + token]!) token = i;
    return { token, logProb: logSoftmaxAt(logits, offset, vocab, token) };
  }
  // Candidates sorted by logit (descending); ties by index so the order is deterministic.
  const order = orderByLogit(logits, offset, vocab);
  const keep = topK > 0 ? Math.min(topK, vocab) : vocab;
  const max = logits[offset + order[0]!]!;
  const weights = new Float64Array(keep);
  let total = 0;
  for (let r = 0; r < keep; r++) {
    weights[r] = Math.exp((logits[offset + order[r]!]! - max) / temperature);
    total += weights[r]!;
  }
  let nucleus = keep;
  if (topP < 1) {
    let mass = 0;
    for (let r = 0; r < keep; r++) {
      mass += weights[r]! / total;
      if (mass >= topP) {
        nucleus = r + 1;
        break;
      }
    }
  }
  let nucleusTotal = 0;
  for (let r = 0; r < nucleus; r++) nucleusTotal += weights[r]!;
  let u = rng.next() * nucleusTotal;
  token = order[nucleus - 1]!;
  for (let r = 0; r < nucleus; r++) {
    u -= weights[r]!;
    if (u < 0) {
      token = order[r]!;
      break;
    }
  }
  return { token, logProb: logSoftmaxAt(logits, offset, vocab, token) };
}
