// Step 1 of the RL loop, the rollout (docs/spec.md §4: n samples per prompt at temperature 1.0), and
// the rollout/trainer mismatch knob. The sampler stands for the inference engine of a large RL
// framework: by default it is the policy itself and reports nothing the trainer does not recompute;
// with the knob on it samples from a copy of the policy as it was `staleUpdates` updates ago and/or
// with its weights rounded to a lower precision, and the old log-probs the update divides by can be
// the ones it reported while sampling, with seeded noise on top. Everything that knob needs —
// the copy, the stale weights, its two random streams — lives here and is saved with a checkpoint.
import { noGrad, scope, type Tensor, tensor } from '../engine/index.js';
import { type Generation, generate } from '../model/generate.js';
import type { VisionLanguageModel } from '../model/model.js';
import { Rng, type RngState } from '../model/random.js';
import type { RlPrompt, Rollout } from '../reward/reward-source.js';
import type { RlLoopResolved } from './rl-config.js';
import type { Policy } from './run.js';

/** How the sampler samples: temperature, length, samples per prompt, and the mismatch knob. */
export interface SamplerOptions {
  temperature: number;
  maxNewTokens: number;
  samplesPerPrompt: number;
  mismatch: RlLoopResolved['mismatch'];
  seed: number;
}

/** What a checkpoint keeps of the sampler, so that a resumed run samples what an uninterrupted one did. */
export interface SamplerState {
  rng: { sample: RngState; noise: RngState };
  /** The stale policies, oldest first, as `${k}.${parameter name}` (none without `staleUpdates`). */
  stalePolicy: Record<string, Tensor> | null;
  imageTokenCuts: number;
}

const gaussian = (rng: Rng): number => {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
};

/** The RL loop's rollout sampler; see the file comment. */
export class RolloutSampler {
  /** Sampled responses cut at an image placeholder token (see {@link cutAtImagePlaceholder}). */
  imageTokenCuts = 0;
  private readonly model: VisionLanguageModel;
  /** The policy itself, or a separate copy whose weights are set before every rollout. */
  private readonly sampler: VisionLanguageModel;
  /** The policy after each of the last `staleUpdates` updates (and before them), oldest first. */
  private readonly staleHistory: Tensor[][] = [];
  private sampleRng: Rng;
  private noiseRng: Rng;

  constructor(
    private readonly policy: Policy,
    private readonly options: SamplerOptions,
    saved?: Partial<SamplerState>,
  ) {
    this.model = policy.model;
    const { staleUpdates, samplerPrecision } = options.mismatch;
    this.sampler = staleUpdates > 0 || samplerPrecision !== 'float32' ? this.model.clone() : this.model;
    this.sampleRng = new Rng(saved?.rng?.sample ?? options.seed);
    this.noiseRng = new Rng(saved?.rng?.noise ?? options.seed + 1);
    this.imageTokenCuts = saved?.imageTokenCuts ?? 0;
    if (saved?.stalePolicy) {
      const names = this.model.namedParameters().map(([name]) => name);
      const count = Object.keys(saved.stalePolicy).length / names.length;
      for (let k = 0; k < count; k++)
        this.staleHistory.push(names.map((name) => saved.stalePolicy![`${k}.${name}`]!.keep()));
    }
    if (staleUpdates > 0 && this.staleHistory.length === 0) this.staleHistory.push(this.snapshot());
  }

  /** `samplesPerPrompt` responses per prompt, prompt by prompt, each with the prompt it answers. */
  rollout<P extends RlPrompt>(prompts: readonly P[]): Rollout<P>[] {
    this.syncSampler();
    const n = this.options.samplesPerPrompt;
    return generate(
      this.sampler,
      this.policy.tokenizer,
      prompts.map((p) => ({ tokens: p.promptTokens, images: p.images })),
      { temperature: this.options.temperature, maxNewTokens: this.options.maxNewTokens, n },
      this.sampleRng,
    )
      .flat()
      .map((g, i) => ({ ...this.cutAtImagePlaceholder(g), prompt: prompts[Math.floor(i / n)]! }));
  }

  /**
   * πold for the update, [N, width]: the trainer's own forward pass, or (`oldLogProbs: 'rollout'`)
   * what the sampler reported while sampling; plus seeded N(0, s²) noise with `oldLogProbNoise: s`.
   */
  oldLogProbs(rollouts: readonly Rollout[], width: number, trainerForward: () => Tensor): Tensor {
    const { oldLogProbs, oldLogProbNoise } = this.options.mismatch;
    const onDevice = { dtype: 'float32', device: this.model.device } as const;
    const reported = () =>
      tensor(
        rollouts.map((r) => [...r.logProbs, ...new Array<number>(width - r.logProbs.length).fill(0)]),
        onDevice,
      );
    const old = oldLogProbs === 'rollout' ? reported() : trainerForward();
    if (oldLogProbNoise === 0) return old;
    const noise = rollouts.map(() => Array.from({ length: width }, () => gaussian(this.noiseRng)));
    return old.add(tensor(noise, onDevice).mul(oldLogProbNoise));
  }

  /** Called after each RL step's update: the stale sampler moves one update along. */
  afterUpdate(): void {
    const { staleUpdates } = this.options.mismatch;
    if (staleUpdates === 0) return;
    this.staleHistory.push(this.snapshot());
    while (this.staleHistory.length > staleUpdates + 1)
      for (const w of this.staleHistory.shift()!) w.dispose();
  }

  /** The state a checkpoint saves (see {@link SamplerState}). */
  checkpointState(): SamplerState {
    const names = this.model.namedParameters().map(([name]) => name);
    return {
      rng: { sample: this.sampleRng.state, noise: this.noiseRng.state },
      stalePolicy:
        this.staleHistory.length === 0
          ? null
          : Object.fromEntries(
              this.staleHistory.flatMap((weights, k) =>
                names.map((name, i) => [`${k}.${name}`, weights[i]!]),
              ),
            ),
      imageTokenCuts: this.imageTokenCuts,
    };
  }

  private snapshot(): Tensor[] {
    return noGrad(() => this.model.parameters().map((p) => p.detach().clone().keep()));
  }

  /** The separate sampler takes the oldest kept policy (or the policy), rounded to its precision. */
  private syncSampler(): void {
    if (this.sampler === this.model) return;
    const { samplerPrecision } = this.options.mismatch;
    const source = this.staleHistory[0] ?? this.model.parameters();
    // copy_ from a bfloat16/float16 copy rounds each weight to that precision and back.
    noGrad(() =>
      scope(() => {
        for (const [i, p] of this.sampler.parameters().entries())
          p.copy_(samplerPrecision === 'float32' ? source[i]! : source[i]!.to(samplerPrecision));
      }),
    );
  }

  /**
   * A sampled image placeholder has no image to stand for, and the model refuses to score it: the
   * response is cut before it (an empty one becomes end-of-sequence) and the cut is counted.
   */
  private cutAtImagePlaceholder(g: Generation): Generation {
    const { model, tokenizer } = this.policy;
    const cut = model.imageTokenId === null ? -1 : g.tokenIds.indexOf(model.imageTokenId);
    if (cut < 0) return g;
    this.imageTokenCuts++;
    const tokenIds = cut === 0 ? [tokenizer.id('eos')] : g.tokenIds.slice(0, cut);
    const logProbs = cut === 0 ? [0] : g.logProbs.slice(0, cut);
    return { text: tokenizer.decode(cut === 0 ? [] : tokenIds), tokenIds, logProbs, finishReason: 'stop' };
  }
}
