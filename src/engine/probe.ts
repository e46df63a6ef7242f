// Finds the libtorch the engine links against and the BLAS it will use, without loading anything,
// so `self-check` works even where the native addon is not built.
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { ADDON_PATH } from './native.js';

/**
 * Where libtorch and the BLAS are, and whether the addon is built: what `r1-reward self-check` prints before
 * loading anything.
 */
export interface LibtorchProbe {
  /** Where libtorch was looked for: $LIBTORCH/lib, or Debian's multiarch library folder. */
  source: string;
  libraryFound: boolean;
  /** The BLAS that Debian's alternatives point libblas.so.3 at (OpenBLAS pthread is ~47x faster than the reference). */
  blas: string;
  /** Whether `npm run build:native` has produced the addon (it may still fail to load). */
  addonBuilt: boolean;
  addonPath: string;
}

const DEBIAN_LIB = '/usr/lib/x86_64-linux-gnu';

function resolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return 'not found';
  }
}

/**
 * Finds libtorch ($LIBTORCH or Debian's libtorch-dev) and the BLAS without loading the addon, so it works
 * where the addon is not built.
 */
export function probeLibtorch(env: NodeJS.ProcessEnv = process.env): LibtorchProbe {
  const libDir = env['LIBTORCH'] ? join(env['LIBTORCH'], 'lib') : DEBIAN_LIB;
  return {
    source: env['LIBTORCH'] ? `LIBTORCH=${env['LIBTORCH']}` : `Debian libtorch-dev (${DEBIAN_LIB})`,
    libraryFound: existsSync(join(libDir, 'libtorch.so')),
    blas: resolved(join(DEBIAN_LIB, 'libblas.so.3')),
    addonBuilt: existsSync(ADDON_PATH),
    addonPath: ADDON_PATH,
  };
}
