// Optimizers with torch.optim's update rules; one native call updates every parameter.
// Learning-rate schedules live in TypeScript: set `optimizer.lr` before `step()`.
import { engine } from './native.js';
import { type Tensor, zerosLike } from './tensor.js';

export interface AdamWOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

function checkParams(name: string, params: readonly Tensor[]): void {
  params.forEach((p, i) => {
    if (!p.requiresGrad) throw new TypeError(`${name}: parameter ${i} ${p.toString()} does not require grad`);
  });
}

/** AdamW (Loshchilov & Hutter), as torch.optim.AdamW: decoupled weight decay, bias-corrected moments. */
export class AdamW {
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly params: readonly Tensor[];
  /** Steps taken so far (the bias corrections use it). */
  stepCount = 0;
  readonly expAvg: readonly Tensor[];
  readonly expAvgSq: readonly Tensor[];

  constructor(params: readonly Tensor[], options: AdamWOptions = {}) {
    checkParams('AdamW', params);
    this.params = params;
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
    this.expAvg = params.map((p) => zerosLike(p).keep());
    this.expAvgSq = params.map((p) => zerosLike(p).keep());
  }

  step(): void {
    this.stepCount += 1;
    engine().adamwStep(
      this.params.map((p) => p.handle),
      this.expAvg.map((t) => t.handle),
      this.expAvgSq.map((t) => t.handle),
      this.stepCount,
      this.lr,
      this.betas[0],
      this.betas[1],
      this.eps,
      this.weightDecay,
    );
  }

  zeroGrad(): void {
    zeroGrad(this.params);
  }

  /** Frees the moment estimates. */
  dispose(): void {
    for (const t of [...this.expAvg, ...this.expAvgSq]) t.dispose();
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** Stochastic gradient descent with optional (Nesterov) momentum, as torch.optim.SGD. */
export class SGD {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly params: readonly Tensor[];
  readonly momentumBuffers: readonly Tensor[];
  stepCount = 0;

  constructor(params: readonly Tensor[], options: SGDOptions) {
    checkParams('SGD', params);
    if (options.nesterov && !((options.momentum ?? 0) > 0 && (options.dampening ?? 0) === 0)) {
      throw new TypeError('SGD: Nesterov momentum needs momentum > 0 and zero dampening');
    }
    this.params = params;
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.momentumBuffers = this.momentum === 0 ? [] : params.map((p) => zerosLike(p).keep());
  }

  step(): void {
    engine().sgdStep(
      this.params.map((p) => p.handle),
      this.momentumBuffers.map((t) => t.handle),
      this.stepCount === 0,
      this.lr,
      this.momentum,
      this.dampening,
      this.weightDecay,
      this.nesterov,
    );
    this.stepCount += 1;
  }

  zeroGrad(): void {
    zeroGrad(this.params);
  }

  dispose(): void {
    for (const t of this.momentumBuffers) t.dispose();
  }
}

/** Drops every parameter's gradient (set_to_none). */
export function zeroGrad(params: readonly Tensor[]): void {
  engine().zeroGrad(params.map((p) => p.handle));
}

/**
 * Scales all gradients together so their global norm is at most maxNorm (torch.nn.utils.clip_grad_norm_).
 * Returns the norm before clipping.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number, normType = 2): number {
  return engine().clipGradNorm(
    params.map((p) => p.handle),
    maxNorm,
    normType,
  );
}
