// Deterministic memory release. `scope(fn)` frees every tensor created while fn runs, except those
// in its return value (found in returned arrays and plain objects), which move to the enclosing
// scope. Outside any scope a tensor lives until `dispose()` or, as a safety net, garbage collection.
import { engine } from './native.js';

export interface Releasable {
  dispose(): void;
}

const scopes: Set<Releasable>[] = [];

/** Called for every new tensor: it belongs to the innermost open scope, if any. */
export function track(value: Releasable): void {
  const current = scopes[scopes.length - 1];
  if (current !== undefined) current.add(value);
}

/** Removes a tensor from every open scope so that none of them frees it (see `Tensor.keep`). */
export function untrack(value: Releasable): void {
  for (const open of scopes) open.delete(value);
}

function collect(value: unknown, created: Set<Releasable>, kept: Set<Releasable>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 64) return;
  if (created.has(value as Releasable)) {
    kept.add(value as Releasable);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, created, kept, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const item of value.values()) collect(item, created, kept, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    for (const item of Object.values(value)) collect(item, created, kept, depth + 1);
  }
}

/**
 * Runs fn and frees the tensors it created, except the ones it returns. fn must be synchronous:
 * a tensor created after an `await` could not be told apart from one created by other code.
 */
export function scope<T>(fn: () => T): T {
  const created = new Set<Releasable>();
  // Tensors made inside a scope are not reported to V8 as external memory: the scope frees them, and
  // the reports would trigger full garbage collections mid-step. The GC net stays for the rest.
  if (scopes.length === 0) engine().setMemoryAccounting(false);
  scopes.push(created);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    leave();
    for (const value of created) value.dispose();
    throw error;
  }
  leave();
  if (result instanceof Promise) {
    for (const value of created) value.dispose();
    throw new TypeError(
      'scope() needs a synchronous function: it returned a Promise. Open the scope inside the async code instead.',
    );
  }
  const kept = new Set<Releasable>();
  collect(result, created, kept, 0);
  const parent = scopes[scopes.length - 1];
  for (const value of created) {
    if (!kept.has(value)) value.dispose();
    else if (parent !== undefined) parent.add(value);
  }
  return result;
}

function leave(): void {
  scopes.pop();
  if (scopes.length === 0) engine().setMemoryAccounting(true);
}

/** How many scopes are open (for tests and diagnostics). */
export function scopeDepth(): number {
  return scopes.length;
}
