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
 * Token ids by descending logit, ties by ascending id (the order of
 * `ids.sort((x, y) => logits[y] - logits[x] || x - y)`, -0 and +0 equal, NaN as 0).
 */
export function orderByLogit(logits: Float32Array, offset: number, vocab: number): Int32Array {
  return Int32Array.from(orderInto(logits, offset, vocab));
}

// Scratch buffers of the per-row sort and draw, reused (sampling is synchronous and runs once per
// row and step, so fresh arrays each time were mostly garbage-collector work).
let keys = new Uint32Array(0);
let keysAlt = new Uint32Array(0);
let ids = new Int32Array(0);
let idsAlt = new Int32Array(0);
let weightsScratch = new Float64Array(0);
let byIdScratch = new Float64Array(0);
const counts = new Int32Array(256);

/**
 * orderByLogit into a reused buffer (valid until the next call): a stable least-significant-digit
 * radix sort, 8 bits a pass, of each logit's float bits mapped to an unsigned key that ascends as
 * the logit descends. Stability keeps ties in ascending id. Several times faster than a typed-array
 * sort of packed keys, and it runs for every row at every decode step.
 */
function orderInto(logits: Float32Array, offset: number, vocab: number): Int32Array {
  if (keys.length < vocab) {
    keys = new Uint32Array(vocab);
    keysAlt = new Uint32Array(vocab);
    ids = new Int32Array(vocab);
    idsAlt = new Int32Array(vocab);
  }
  let k = keys;
  let kNext = keysAlt;
  let id = ids;
  let idNext = idsAlt;
  for (let i = 0; i < vocab; i++) {
    asFloat[0] = logits[offset + i]! || 0; // -0 → +0 and NaN → 0, as the comparator treats them
    const u = bits[0]!;
    // Float bits → an unsigned integer in the same order, then flipped so larger logits come first.
    const ordered = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    k[i] = (0xffffffff - ordered) >>> 0;
    id[i] = i;
  }
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < vocab; i++) counts[(k[i]! >>> shift) & 0xff]!++;
    // A digit every key shares (the exponent byte, often) leaves the order as it is: skip the pass.
    if (counts[(k[0]! >>> shift) & 0xff] === vocab) continue;
    let start = 0;
    for (let d = 0; d < 256; d++) {
      const c = counts[d]!;
      counts[d] = start;
      start += c;
    }
    for (let i = 0; i < vocab; i++) {
      const at = counts[(k[i]! >>> shift) & 0xff]!++;
      kNext[at] = k[i]!;
      idNext[at] = id[i]!;
    }
    [k, kNext] = [kNext, k];
    [id, idNext] = [idNext, id];
  }
  return id.subarray(0, vocab);
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
  const order = orderInto(logits, offset, vocab);
  const keep = topK > 0 ? Math.min(topK, vocab) : vocab;
  const max = logits[offset + order[0]!]!;
  if (weightsScratch.length < vocab) {
    weightsScratch = new Float64Array(vocab);
    byIdScratch = new Float64Array(vocab);
  }
  const weights = weightsScratch;
  // At temperature 1 over the whole vocabulary the weights are exactly logSoftmaxAt's terms
  // exp(logit − max): kept by id too, so the log-prob below adds them without a second exp pass.
  const reuse = temperature === 1 && keep === vocab;
  let total = 0;
  for (let r = 0; r < keep; r++) {
    const w = Math.exp((logits[offset + order[r]!]! - max) / temperature);
    weights[r] = w;
    if (reuse) byIdScratch[order[r]!] = w;
    total += w;
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
  // logSoftmaxAt's max is Math.max over the row, the first sorted logit unless some logit is NaN
  // (then the sum is NaN and it recomputes).
  if (reuse && Number.isFinite(total)) {
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += byIdScratch[i]!;
    return { token, logProb: logits[offset + token]! - max - Math.log(sum) };
  }
  return { token, logProb: logSoftmaxAt(logits, offset, vocab, token) };
}
