// No-grad scope: operations inside build no autograd graph (for evaluation, sampling, and updates).
import { engine } from './native.js';

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const native = engine();
  const previous = native.setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs fn with gradient recording off (torch.no_grad). fn must be synchronous. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with gradient recording on, e.g. inside a noGrad region (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** Whether operations record autograd graphs right now (false inside {@link noGrad}). */
export function isGradEnabled(): boolean {
  return engine().isGradEnabled();
}
