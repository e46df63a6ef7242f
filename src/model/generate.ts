// Batched sampling with a KV cache: the prompts are left-padded to one length and run through the
// model once (prefill); each prompt's cache rows are then copied n times, and every step feeds one
// token per row. Token choice runs in TS on the logits row (sampling.ts) with the caller's seeded
// Rng, so a run is reproducible from its seed.

import type { Rng } from '../algo/random.js';
import { scope } from '../engine/index.js';
import type { ImagePixels, VisionLanguageModel } from './model.js';
import { checkSamplingParams, type SamplingParams, sampleToken } from './sampling.js';
import type { Tokenizer } from './tokenizer.js';

/** One prompt to sample from: token ids (image placeholders included) and its images. */
export interface Prompt {
  /** Prompt token ids, image placeholders included (see encodeJudgePrompt). */
  tokens: readonly number[];
  /** The prompt's images, in placeholder order. */
  images?: readonly ImagePixels[];
}

/**
 * Sampling parameters of {@link generate}: temperature / top-k / top-p, new-token limit, samples per prompt
 * and stop strings.
 */
export interface GenerateParams extends SamplingParams {
  /** Most tokens generated per sample (prompt + maxNewTokens must fit config.maxSeqLen). */
  maxNewTokens: number;
  /** Samples per prompt; they share one prefill (default 1). */
  n?: number;
  /** Stop once the text contains any of these (the stop string is kept in text and ids). */
  stop?: readonly string[];
  /** Stop at the end-of-sequence token, which is kept in ids/logProbs but not in text (default true). */
  stopAtEos?: boolean;
}

/** Why a sample ended: a stop string, the end-of-sequence token, or the token limit. */
export type FinishReason = 'stop' | 'eos' | 'length';

/**
 * One sample: its text, token ids, per-token log-probs (full distribution at temperature 1) and why it ended.
 */
export interface Generation {
  /** Decoded response (special tokens kept, except the final end-of-sequence token). */
  text: string;
  tokenIds: number[];
  /** log p(token) under the model's full distribution (temperature 1, unfiltered) for each token. */
  logProbs: number[];
  finishReason: FinishReason;
}

/** One sampled token of one row (row = prompt * n + sample). */
export interface StepToken {
  row: number;
  prompt: number;
  sample: number;
  token: number;
  logProb: number;
  /** Set when this token ends the row ('eos' or 'stop'; 'length' on the last step). */
  finishReason: FinishReason | null;
}

/** What one decode step produced: a token for every row still running. */
export interface GenerationStep {
  step: number;
  tokens: StepToken[];
}

/**
 * The incremental form of `generate`: yields after every decode step, returns what `generate`
 * returns. Pass row numbers to `next(rows)` to drop those rows (a client gone): they draw no more
 * tokens and end with what they have ('length'). Stopping early with `return()` (or `break` in a
 * for-of) frees the KV cache; no tensor outlives the generator. Between steps no engine scope is
 * open, so the consumer may await (let the event loop run) before asking for the next step.
 */
export type GenerationSteps = Generator<GenerationStep, Generation[][], Iterable<number> | undefined>;

/**
 * Samples `params.n` responses for every prompt; result[i][s] is sample s of prompt i.
 * Rows draw from `rng` in a fixed order (prompt-major, then sample), one draw per row and step.
 * With one generator per prompt (`rng[i]`), prompt i's samples depend on its own generator only,
 * not on the prompts it shares the batch with (up to the float round-off of batched math).
 */
export function generate(
  model: VisionLanguageModel,
  tokenizer: Tokenizer,
  prompts: readonly Prompt[],
  params: GenerateParams,
  rng: Rng | readonly Rng[],
): Generation[][] {
  const steps = generateSteps(model, tokenizer, prompts, params, rng);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** `generate`, one decode step at a time (see GenerationSteps); the same draws, so the same samples. */
export function* generateSteps(
  model: VisionLanguageModel,
  tokenizer: Tokenizer,
  prompts: readonly Prompt[],
  params: GenerateParams,
  rng: Rng | readonly Rng[],
): GenerationSteps {
  checkSamplingParams(params);
  if (Array.isArray(rng) && rng.length !== prompts.length)
    throw new RangeError(`one generator per prompt: got ${rng.length} for ${prompts.length} prompts`);
  const rngOf = (prompt: number): Rng => (Array.isArray(rng) ? rng[prompt]! : (rng as Rng));
  const n = params.n ?? 1;
  const { maxNewTokens } = params;
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`n must be an integer ≥ 1, got ${n}`);
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1))
    throw new RangeError(`maxNewTokens must be an integer ≥ 1, got ${maxNewTokens}`);
  if (prompts.length === 0) return [];
  const { vocabSize: V, maxSeqLen } = model.config;
  if (tokenizer.vocabSize !== V)
    throw new RangeError(
      `the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${V}`,
    );
  const lengths = prompts.map((p, i) => {
    if (p.tokens.length === 0) throw new RangeError(`prompt ${i} is empty`);
    return p.tokens.length;
  });
  const width = Math.max(...lengths);
  // Every row's positions must fit the learned position table; the cache spans the padded width.
  const longest = width + maxNewTokens;
  if (longest > maxSeqLen)
    throw new RangeError(
      `the longest prompt (${width} tokens) + maxNewTokens (${maxNewTokens}) = ${longest} exceeds config.maxSeqLen ${maxSeqLen}; shorten the prompt or lower maxNewTokens`,
    );

  const pad = tokenizer.id('pad');
  const eos = tokenizer.id('eos');
  const stopAtEos = params.stopAtEos ?? true;
  const stops = (params.stop ?? []).filter((s) => s.length > 0);
  const stopWindow = Math.max(0, ...stops.map((s) => Buffer.byteLength(s, 'utf8'))) + 1;

  const leftPadding = lengths.map((l) => width - l);
  const tokens = prompts.map((p, i) => [...new Array<number>(leftPadding[i]!).fill(pad), ...p.tokens]);
  const hasImages = prompts.some((p) => (p.images?.length ?? 0) > 0);

  const B = prompts.length * n;
  const out: Generation[] = Array.from({ length: B }, () => ({
    text: '',
    tokenIds: [],
    logProbs: [],
    finishReason: 'length' as FinishReason,
  }));
  const done = new Array<boolean>(B).fill(false);
  let remaining = B;

  let cache = model.createCache(prompts.length, longest);
  try {
    let logits = model.prefill(cache, {
      tokens,
      leftPadding,
      ...(hasImages ? { images: prompts.map((p) => p.images ?? []) } : {}),
    });
    if (n > 1) {
      const promptCache = cache;
      cache = model.repeatCache(promptCache, n);
      model.disposeCache(promptCache);
      const repeated = scope(() => logits.unsqueeze(1).expand([prompts.length, n, V]).reshape([B, V]));
      logits.dispose();
      logits = repeated;
    }
    const next = new Array<number>(B).fill(pad);
    for (let step = 0; step < maxNewTokens && remaining > 0; step++) {
      const rows = logits.toTypedArray() as Float32Array;
      logits.dispose();
      suppressImagePlaceholder(rows, model.imageTokenId, V);
      const produced: StepToken[] = [];
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const { token, logProb } = sampleToken(rows, b * V, V, params, rngOf(Math.floor(b / n)));
        const g = out[b]!;
        g.tokenIds.push(token);
        g.logProbs.push(logProb);
        next[b] = token;
        if (stopAtEos && token === eos) {
          g.finishReason = 'eos';
        } else if (stops.length > 0) {
          // A stop string of k bytes ends within the last k tokens (every token is ≥ 1 byte).
          const tail = tokenizer.decode(g.tokenIds.slice(-stopWindow));
          if (stops.some((s) => tail.includes(s))) g.finishReason = 'stop';
        }
        const ended = g.finishReason !== 'length';
        if (ended) {
          done[b] = true;
          remaining--;
        }
        const last = ended || step === maxNewTokens - 1;
        const finishReason = last ? g.finishReason : null;
        produced.push({ row: b, prompt: Math.floor(b / n), sample: b % n, token, logProb, finishReason });
      }
      // No tensor but the cache is alive here: the consumer may pause or stop (return()) safely.
      const dropped = yield { step, tokens: produced };
      for (const b of dropped ?? []) {
        if (!(Number.isInteger(b) && b >= 0 && b < B))
          throw new RangeError(`generateSteps: row ${b} is not in [0, ${B})`);
        if (done[b]) continue;
        done[b] = true;
        remaining--;
      }
      if (remaining === 0 || step === maxNewTokens - 1) break;
      // Finished rows keep stepping (their outputs are ignored) so the batch keeps its shape.
      logits = model.step(cache, next);
    }
  } finally {
    model.disposeCache(cache);
  }

  for (const g of out) {
    const ids = g.finishReason === 'eos' ? g.tokenIds.slice(0, -1) : g.tokenIds;
    g.text = tokenizer.decode(ids);
  }
  return Array.from({ length: prompts.length }, (_, i) => out.slice(i * n, (i + 1) * n));
}

/**
 * A response never contains the image placeholder (it stands for image features, which a response
 * cannot supply): its logit is set to −∞ before sampling, in place, so a barely trained policy cannot
 * emit one. sequenceLogProbs renormalises over the same tokens, so sampled and rescored log-probs agree.
 */
export function suppressImagePlaceholder(
  rows: Float32Array,
  imageTokenId: number | null,
  vocab: number,
): void {
  if (imageTokenId === null) return;
  for (let offset = 0; offset < rows.length; offset += vocab) rows[offset + imageTokenId] = -Infinity;
}
