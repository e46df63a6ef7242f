// Dynamic batching into the sampler: requests that arrive within a small window (or while the model
// is busy) run as one `generate` call, one call at a time on the model. Requests still decoding
// their images when the window ends are waited for, up to maxWaitMs. Requests batch together when
// they sample the same way (temperature, top_p, n, stop); max_tokens may differ: the batch runs to
// the largest and each request's samples are cut to its own limit. A request with a seed runs alone
// with its own generator, so its answer depends on nothing but the request.
import { type Generation, generate, type Prompt, Rng, type VisionLanguageModel } from '../model/index.js';
import type { Tokenizer } from '../model/tokenizer.js';

export interface GenerationJob {
  prompt: Prompt;
  n: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  stop: readonly string[];
  seed?: number | undefined;
}

export interface BatcherOptions {
  /** How long the first request of an idle model waits for others (default 5 ms). */
  windowMs?: number;
  /** Most prompts in one generate call (default 16). */
  maxBatchPrompts?: number;
  /** Longest an idle model waits for requests still being prepared (images decoding) (default 50 ms). */
  maxWaitMs?: number;
  /** Seed of the generator shared by requests without a seed (default 0). */
  seed?: number;
  /** Called after every generate call (metrics). */
  onBatch?: (stats: { prompts: number; samples: number; tokens: number; seconds: number }) => void;
}

interface Pending {
  job: GenerationJob;
  key: string;
  resolve: (samples: Generation[]) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal | undefined;
}

/** Job was withdrawn before it ran (client gone, or the server is closing). */
export class JobCancelledError extends Error {
  override name = 'JobCancelledError';
}

let soloKeys = 0;

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

  /** The job's n samples, in the order drawn. Aborting `signal` before the job runs withdraws it. */
  submit(job: GenerationJob, signal?: AbortSignal): Promise<Generation[]> {
    const key =
      job.seed === undefined
        ? JSON.stringify([job.temperature, job.topP, job.n, job.stop])
        : `solo:${soloKeys++}`;
    return new Promise((resolve, reject) => {
      const pending: Pending = { job, key, resolve, reject, signal };
      if (signal?.aborted) return reject(new JobCancelledError('the request was cancelled'));
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.queue.indexOf(pending);
          if (at >= 0) {
            this.queue.splice(at, 1);
            reject(new JobCancelledError('the request was cancelled'));
          }
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
      this.runBatch(batch);
      // Let the event loop send the answers and take in new requests before the next batch.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private runBatch(batch: readonly Pending[]): void {
    const first = batch[0]!.job;
    const maxTokens = Math.max(...batch.map((p) => p.job.maxTokens));
    const rng = first.seed === undefined ? this.rng : new Rng(first.seed);
    const started = performance.now();
    let results: Generation[][];
    try {
      results = generate(
        this.model,
        this.tokenizer,
        batch.map((p) => p.job.prompt),
        {
          maxNewTokens: maxTokens,
          n: first.n,
          temperature: first.temperature,
          topP: first.topP,
          stop: first.stop,
        },
        rng,
      );
    } catch (error) {
      // One bad prompt must not fail the requests it shared a batch with: run them one by one.
      if (batch.length > 1) for (const p of batch) this.runBatch([p]);
      else batch[0]!.reject(error);
      return;
    }
    let tokens = 0;
    batch.forEach((p, i) => {
      const samples = results[i]!.map((g) => this.cut(g, p.job.maxTokens));
      for (const g of samples) tokens += g.tokenIds.length;
      p.resolve(samples);
    });
    this.options.onBatch?.({
      prompts: batch.length,
      samples: batch.length * first.n,
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
