// Process-wide engine settings and facts: threads, seed, CUDA, versions and the BLAS in use.
import { readFileSync, realpathSync } from 'node:fs';
import type { Device } from './dtype.js';
import { engine } from './native.js';

/** Intra-op threads for CPU kernels (torch.set_num_threads). */
export function setNumThreads(threads: number): void {
  engine().setNumThreads(threads);
}

/** The number of threads libtorch uses for intra-op parallelism. */
export function getNumThreads(): number {
  return engine().getNumThreads();
}

/** Seeds the global CPU and CUDA generators (torch.manual_seed): randn/rand/randint/dropout/multinomial. */
export function manualSeed(seed: number): void {
  engine().manualSeed(seed);
}

/** Whether libtorch sees a CUDA device (false with Debian's CPU-only libtorch). */
export function cudaIsAvailable(): boolean {
  return engine().cudaIsAvailable();
}

/** The number of CUDA devices libtorch sees. */
export function cudaDeviceCount(): number {
  return engine().cudaDeviceCount();
}

/**
 * Throws a clear error unless libtorch can use `device`: any CUDA device needs a CUDA libtorch, and
 * 'cuda:N' needs more than N devices. Called before a model or a run folder is made, so a wrong
 * device leaves nothing behind.
 */
export function requireDevice(device: Device): void {
  if (device === 'cpu') return;
  const count = cudaIsAvailable() ? cudaDeviceCount() : 0;
  if (count === 0)
    throw new RangeError(
      `device '${device}': this libtorch sees no CUDA device (Debian's libtorch-dev is CPU-only); build the addon against a CUDA libtorch (LIBTORCH=/path/to/libtorch npm run build:native, docs/engine.md) or use device 'cpu'`,
    );
  const index = device === 'cuda' ? 0 : Number(device.slice('cuda:'.length));
  if (index >= count)
    throw new RangeError(
      `device '${device}': libtorch sees ${count} CUDA device(s), cuda:0 … cuda:${count - 1}`,
    );
}

/** What {@link engineInfo} reports about the loaded libtorch. */
export interface EngineInfo {
  libtorch: string;
  napi: number;
  threads: number;
  cuda: boolean;
  cudaDevices: number;
  /** BLAS libraries mapped into this process (from /proc/self/maps), resolved through symlinks. */
  blas: string[];
  /** torch.__config__.show() */
  config: string;
  /** torch.__config__.parallel_info() */
  parallel: string;
}

/** The BLAS shared objects this process has loaded (Linux; empty elsewhere). */
export function loadedBlas(): string[] {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const found = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (line.includes('/') && /blas|mkl|lapack/i.test(path)) {
      try {
        found.add(realpathSync(path));
      } catch {
        found.add(path);
      }
    }
  }
  return [...found].sort();
}

/** The loaded libtorch's version, build configuration, threads, CUDA devices and BLAS libraries. */
export function engineInfo(): EngineInfo {
  const native = engine();
  const version = native.version();
  return {
    libtorch: version.libtorch,
    napi: version.napi,
    threads: native.getNumThreads(),
    cuda: native.cudaIsAvailable(),
    cudaDevices: native.cudaDeviceCount(),
    blas: loadedBlas(),
    config: version.config,
    parallel: version.parallel,
  };
}
