// The in-process judge backend: a checkpoint trained here, sampled directly (no HTTP). The k samples
// of one request share one prefill (generate's `n`), and concurrent requests (the runner judges
// several items at once) are batched into one generate call by the same batcher `serve` uses.
// The prompt text is tokenized as given, images first as image tokens: use the compact template
// (src/model/judge-format.ts) the local model was trained on — the CLI picks it for --local.
// Each request draws from its own generator, seeded from the backend's seed and the request itself
// (text, images, k, and how many times the same request came before), so a benchmark run's samples
// do not depend on which requests happened to share a batch.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Device } from '../engine/dtype.js';
import type { ImageSourcePolicy } from '../inference/image-input.js';
import { LocalModel } from '../inference/local-model.js';
import { loadCheckpoint } from '../model/index.js';
import type { JudgeBackend, JudgeRequest, SampleOptions, SamplingConfig } from './backend.js';
import { RepeatCounter } from './repeat-counter.js';

/**
 * Configuration of {@link LocalModelBackend}: the checkpoint, sampling settings, sampler seed, image policy
 * and batching.
 */
export interface LocalBackendConfig extends SamplingConfig {
  /** Checkpoint directory (saved by training). */
  checkpoint: string;
  /** Where the model runs: 'cpu' (default), 'cuda' or 'cuda:N' (needs a CUDA libtorch). */
  device?: Device;
  /** Seed of the sampler (default 0); with the request it seeds the request's own generator. */
  seed?: number;
  /** Where image URLs may come from: data URLs always; local files only under `allowedRoot`. */
  images?: ImageSourcePolicy;
  /** How long an idle model waits for more requests to batch (default 5 ms). */
  batchWindowMs?: number;
  /** Most prompts per generate call (default 16). */
  maxBatchPrompts?: number;
}

/**
 * The in-process judge backend: a checkpoint trained here, sampled directly; concurrent requests are batched
 * into one generate call. Use the compact template ({@link COMPACT_TEMPLATE}) it was trained on.
 */
export class LocalModelBackend implements JudgeBackend {
  readonly identity: string;
  private readonly local: LocalModel;
  private readonly sampling: SamplingConfig;
  private readonly seed: number;
  /**
   * How many times each request (by its seed's hash) has been sampled: a repeat draws new samples. Bounded
   * (the least recently sampled 100,000 requests are remembered), so a long-lived server stays small.
   */
  private readonly seen = new RepeatCounter();

  constructor(config: LocalBackendConfig) {
    const checkpoint = loadCheckpoint(resolve(config.checkpoint), { device: config.device ?? 'cpu' });
    this.local = new LocalModel(checkpoint, {
      seed: config.seed ?? 0,
      windowMs: config.batchWindowMs ?? 5,
      maxBatchPrompts: config.maxBatchPrompts ?? 16,
      images: config.images ?? {},
    });
    this.seed = config.seed ?? 0;
    this.sampling = { temperature: config.temperature, topP: config.topP, maxTokens: config.maxTokens };
    // The model files' checksums name the model in cache keys, not its path nor when it was saved.
    this.identity = JSON.stringify({ backend: 'local', checkpoint: checkpoint.modelId, ...this.sampling });
  }

  async sample(request: JudgeRequest, k: number, options: SampleOptions = {}): Promise<string[]> {
    const prompt = await this.local.encode(
      request.text,
      request.images.map((url, i) => ({ url, field: `images[${i}]` })),
    );
    // The local model's context is short: max_tokens is capped by the room the prompt leaves.
    const room = this.local.maxSeqLen - prompt.tokens.length;
    if (room < 1)
      throw new RangeError(
        `the judge prompt is ${prompt.tokens.length} tokens (images included) but the model's context is ${this.local.maxSeqLen}; ` +
          'use the compact template the model was trained on, or shorter responses',
      );
    const samples = await this.local.batcher.submit(
      {
        prompt,
        n: k,
        temperature: this.sampling.temperature,
        topP: this.sampling.topP,
        maxTokens: Math.min(this.sampling.maxTokens, room),
        stop: [],
        sampleSeed: this.sampleSeed(request, k),
      },
      options.signal,
    );
    return samples.map((g) => g.text);
  }

  /** The request's generator seed: 32 bits of sha256(backend seed, text, images, k, repeat index). */
  private sampleSeed(request: JudgeRequest, k: number): number {
    const hash = createHash('sha256').update(JSON.stringify([this.seed, request.text, k]));
    for (const url of request.images) hash.update('\0').update(url);
    const key = hash.digest('hex');
    const repeat = this.seen.next(key);
    const digest = createHash('sha256').update(`${key}:${repeat}`).digest();
    return digest.readUInt32BE(0);
  }

  async close(): Promise<void> {
    await this.local.batcher.drain();
  }
}
