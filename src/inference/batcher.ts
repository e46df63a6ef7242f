// Dynamic batching into the sampler: requests that arrive within a small window (or while the model
// is busy) run as one batched generation, one at a time on the model, step by step (generateSteps):
// between decode steps the event loop runs, so health checks answer, tokens stream out as they are
// sampled, and a request whose client left is dropped from the batch (the batch stops when no
// request is left). Requests still decoding
// their images when the window ends are waited for, up to maxWaitMs. Requests batch together when
// they sample the same way (temperature, top_p, n, stop); max_tokens may differ: the batch runs to
// the largest and each request's samples are cut to its own limit. A request with a seed runs alone
// with its own generator, so its answer depends on nothing but the request. A request with a
// sampleSeed keeps batching but draws from its own generator, so its samples depend on the request
// and that seed, not on timing (up to the float round-off of batched math).
import { R1RewardError } from '../errors.js';
import {
  type FinishReason,
  type Generation,
  generateSteps,
  type Prompt,
  Rng,
  type VisionLanguageModel,
} from '../model/index.js';
import type { Tokenizer } from '../model/tokenizer.js';

/**
 * One generation request for the {@link GenerationBatcher}: prompt, samples, sampling settings and an
 * optional seed.
 */
export interface GenerationJob {
  prompt: Prompt;
  n: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  stop: readonly string[];
  /** Run alone with a generator of this seed: the samples depend on the request only, exactly. */
  seed?: number | undefined;
  /**
   * Still batched, but with a generator of this seed for this job's rows: the samples do not depend
   * on which requests share the batch or when they arrived (up to the float round-off of batched
   * math). Without it, batch-mates share the batcher's generator in arrival order.
   */
  sampleSeed?: number | undefined;
}

/**
 * Options of the {@link GenerationBatcher}: batching window, batch and wait limits, the default seed and a
 * per-batch callback.
 */
export interface BatcherOptions {
  /** How long the first request of an idle model waits for others (default 5 ms). */
  windowMs?: number;
  /** Most prompts in one batch (default 16). */
  maxBatchPrompts?: number;
  /** Longest an idle model waits for requests still being prepared (images decoding) (default 50 ms). */
  maxWaitMs?: number;
  /** Seed of the generator shared by requests without a seed (default 0). */
  seed?: number;
  /** Called after every batch (metrics). */
  onBatch?: (stats: { prompts: number; samples: number; tokens: number; seconds: number }) => void;
}

/** One token of one of a job's samples, as soon as it is sampled. */
export interface SampledToken {
  sample: number;
  tokenId: number;
  logProb: number;
  /** Set on the sample's last token: 'eos', 'stop', or 'length' (the job's own max_tokens). */
  finishReason: FinishReason | null;
}

interface Pending {
  job: GenerationJob;
  key: string;
  resolve: (samples: Generation[]) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal | undefined;
  onToken?: ((token: SampledToken) => void) | undefined;
  /** Set while the job runs: withdraws it from its batch. */
  withdraw?: () => void;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Job was withdrawn before it ran (client gone, or the server is closing). */
export class JobCancelledError extends R1RewardError {
  override name = 'JobCancelledError';
  constructor(message: string) {
    super('job_cancelled', message);
  }
}

let soloKeys = 0;

/**
 * Dynamic batching into the sampler: requests that sample the same way are generated as one batch, step by
 * step, so tokens stream out and departed clients are dropped; a seeded request runs alone.
 */
export class GenerationBatcher {
  private readonly queue: Pending[] = [];
  private readonly rng: Rng;
  private readonly windowMs: number;
  private readonly maxBatchPrompts: number;
  private readonly maxWaitMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Requests announced by `prepare` whose prompts are not ready yet. */
  private preparing = 0;
  private waitingSince = 0;

  constructor(
    private readonly model: VisionLanguageModel,
    private readonly tokenizer: Tokenizer,
    private readonly options: BatcherOptions = {},
  ) {
    this.rng = new Rng(options.seed ?? 0);
    this.windowMs = options.windowMs ?? 5;
    this.maxBatchPrompts = options.maxBatchPrompts ?? 16;
    this.maxWaitMs = options.maxWaitMs ?? 50;
    if (!(Number.isInteger(this.maxBatchPrompts) && this.maxBatchPrompts >= 1))
      throw new RangeError(`maxBatchPrompts must be an integer ≥ 1, got ${this.maxBatchPrompts}`);
  }

  /** Requests waiting for the model (not counting the batch running now). */
  get queueDepth(): number {
    return this.queue.length;
  }

  /**
   * Runs `work` (decoding a request's images, tokenizing) while the batcher knows a request is on
   * its way: an idle model waits for it (up to maxWaitMs) so concurrent requests share one batch.
   */
  async prepare<T>(work: () => Promise<T>): Promise<T> {
    this.preparing++;
    try {
      return await work();
    } finally {
      this.preparing--;
    }
  }

  /**
   * The job's n samples, in the order drawn; `onToken` sees each token as it is sampled. Aborting
   * `signal` withdraws the job, queued or running (its rows leave the batch; the others go on).
   */
  submit(
    job: GenerationJob,
    signal?: AbortSignal,
    onToken?: (token: SampledToken) => void,
  ): Promise<Generation[]> {
    const key =
      job.seed === undefined
        ? JSON.stringify([job.temperature, job.topP, job.n, job.stop])
        : `solo:${soloKeys++}`;
    return new Promise((resolve, reject) => {
      const pending: Pending = { job, key, resolve, reject, signal, onToken };
      if (signal?.aborted) return reject(new JobCancelledError('the request was cancelled'));
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.queue.indexOf(pending);
          if (at >= 0) {
            this.queue.splice(at, 1);
            reject(new JobCancelledError('the request was cancelled'));
          } else pending.withdraw?.();
        },
        { once: true },
      );
      this.queue.push(pending);
      this.schedule();
    });
  }

  /** Resolves once every queued job has run. */
  async drain(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      if (!this.running) this.start();
      await this.running;
    }
  }

  private schedule(): void {
    if (this.running || this.timer) return;
    if (this.queue.length >= this.maxBatchPrompts) {
      this.start();
      return;
    }
    this.waitingSince = performance.now();
    this.timer = setTimeout(() => this.afterWindow(), this.windowMs);
  }

  /** The window is over: start, unless requests are still being prepared and the wait is short. */
  private afterWindow(): void {
    this.timer = null;
    const waited = performance.now() - this.waitingSince;
    if (this.preparing > 0 && this.queue.length < this.maxBatchPrompts && waited < this.maxWaitMs)
      this.timer = setTimeout(() => this.afterWindow(), 1);
    else this.start();
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.queue.length > 0) this.schedule();
    });
  }

  /** Runs batches while requests wait; requests that arrive meanwhile join the next batch. */
  private async loop(): Promise<void> {
    while (this.queue.length > 0) {
      // The oldest request picks the batch, so no request waits behind newer ones forever.
      const key = this.queue[0]!.key;
      const batch: Pending[] = [];
      for (let i = 0; i < this.queue.length && batch.length < this.maxBatchPrompts; ) {
        if (this.queue[i]!.key === key) batch.push(...this.queue.splice(i, 1));
        else i++;
      }
      await this.runBatch(batch);
      // Let the event loop send the answers and take in new requests before the next batch.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async runBatch(batch: readonly Pending[]): Promise<void> {
    const first = batch[0]!.job;
    const n = first.n;
    const maxTokens = Math.max(...batch.map((p) => p.job.maxTokens));
    const rng =
      first.seed !== undefined
        ? new Rng(first.seed)
        : batch.map((p) => (p.job.sampleSeed === undefined ? this.rng : new Rng(p.job.sampleSeed)));
    const started = performance.now();
    const steps = generateSteps(
      this.model,
      this.tokenizer,
      batch.map((p) => p.job.prompt),
      { maxNewTokens: maxTokens, n, temperature: first.temperature, topP: first.topP, stop: first.stop },
      rng,
    );
    const live = new Set(batch);
    const dropped: number[] = [];
    batch.forEach((p, i) => {
      p.withdraw = () => {
        if (!live.delete(p)) return;
        for (let s = 0; s < n; s++) dropped.push(i * n + s);
        p.reject(new JobCancelledError('the request was cancelled'));
      };
    });
    let results: Generation[][] | null = null;
    let produced = 0;
    try {
      let next = steps.next();
      while (!next.done) {
        for (const t of next.value.tokens) {
          const p = batch[t.prompt]!;
          // The batch may run past this job's own max_tokens: its samples end there.
          const count = next.value.step + 1;
          if (!live.has(p) || count > p.job.maxTokens) continue;
          produced++;
          const finishReason = t.finishReason ?? (count === p.job.maxTokens ? 'length' : null);
          p.onToken?.({ sample: t.sample, tokenId: t.token, logProb: t.logProb, finishReason });
        }
        // Between steps: answer health checks, send the tokens, take in requests and disconnects.
        await nextTurn();
        if (live.size === 0) break;
        next = steps.next(dropped.splice(0));
      }
      if (next.done) results = next.value;
    } catch (error) {
      // One bad prompt must not fail the requests it shared a batch with: run them one by one
      // (it fails before the first token, while the prompts are read).
      if (batch.length > 1 && produced === 0) for (const p of live) await this.runBatch([p]);
      else for (const p of live) p.reject(error);
      return;
    } finally {
      // Frees the KV cache when the batch stops early (no-op once finished).
      steps.return([]);
      for (const p of batch) delete p.withdraw;
    }
    let tokens = 0;
    if (results)
      batch.forEach((p, i) => {
        if (!live.has(p)) return;
        const samples = results[i]!.map((g) => this.cut(g, p.job.maxTokens));
        for (const g of samples) tokens += g.tokenIds.length;
        p.resolve(samples);
      });
    this.options.onBatch?.({
      prompts: batch.length,
      samples: batch.length * n,
      tokens,
      seconds: (performance.now() - started) / 1000,
    });
  }

  /** A sample cut to a request's own max_tokens (the batch may have run longer). */
  private cut(g: Generation, maxTokens: number): Generation {
    if (g.tokenIds.length <= maxTokens) return g;
    const tokenIds = g.tokenIds.slice(0, maxTokens);
    return {
      text: this.tokenizer.decode(tokenIds),
      tokenIds,
      logProbs: g.logProbs.slice(0, maxTokens),
      finishReason: 'length',
    };
  }
}
