// Optimizers with torch.optim's update rules; one native call updates every parameter.
// Learning-rate schedules live in TypeScript: set `optimizer.lr` before `step()`.
import { noGrad } from './grad-mode.js';
import { engine } from './native.js';
import { type Tensor, zerosLike } from './tensor.js';

/** Options of {@link AdamW} (torch.optim.AdamW's defaults). */
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

  /** The state to checkpoint (e.g. with saveSafetensors): moments by parameter index, and the step. */
  stateDict(): { step: number; tensors: Record<string, Tensor> } {
    return { step: this.stepCount, tensors: namedState({ exp_avg: this.expAvg, exp_avg_sq: this.expAvgSq }) };
  }

  /** Restores stateDict()'s output (copied in, so the given tensors may be freed afterwards). */
  loadStateDict(state: { step: number; tensors: Record<string, Tensor> }): void {
    loadNamedState('AdamW', state.tensors, { exp_avg: this.expAvg, exp_avg_sq: this.expAvgSq });
    this.stepCount = state.step;
  }

  /** Frees the moment estimates. */
  dispose(): void {
    for (const t of [...this.expAvg, ...this.expAvgSq]) t.dispose();
  }
}

/** Options of {@link SGD} (torch.optim.SGD's names; `lr` is required). */
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

  stateDict(): { step: number; tensors: Record<string, Tensor> } {
    return { step: this.stepCount, tensors: namedState({ momentum_buffer: this.momentumBuffers }) };
  }

  loadStateDict(state: { step: number; tensors: Record<string, Tensor> }): void {
    loadNamedState('SGD', state.tensors, { momentum_buffer: this.momentumBuffers });
    this.stepCount = state.step;
  }

  dispose(): void {
    for (const t of this.momentumBuffers) t.dispose();
  }
}

function namedState(groups: Record<string, readonly Tensor[]>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, tensors] of Object.entries(groups)) {
    for (const [i, t] of tensors.entries()) out[`${name}.${i}`] = t;
  }
  return out;
}

function loadNamedState(
  optimizer: string,
  tensors: Record<string, Tensor>,
  groups: Record<string, readonly Tensor[]>,
): void {
  noGrad(() => {
    for (const [name, targets] of Object.entries(groups)) {
      targets.forEach((target, i) => {
        const source = tensors[`${name}.${i}`];
        if (source === undefined)
          throw new Error(`${optimizer}.loadStateDict: the state has no '${name}.${i}'`);
        if (source.shape.join() !== target.shape.join()) {
          throw new Error(
            `${optimizer}.loadStateDict: '${name}.${i}' has shape [${source.shape.join(', ')}], the parameter [${target.shape.join(', ')}]`,
          );
        }
        target.copy_(source);
      });
    }
  });
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
