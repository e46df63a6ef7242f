#!/usr/bin/env node
// Where libtorch lives, for binding.gyp: `node libtorch-config.cjs include|libdir|libs|abi|check`.
// LIBTORCH (the official libtorch zip layout: include/, lib/) wins; otherwise Debian's libtorch-dev.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const DEBIAN_LIB = '/usr/lib/x86_64-linux-gnu';

function locate(env = process.env) {
  if (env.LIBTORCH) {
    const root = env.LIBTORCH;
    return {
      source: `LIBTORCH=${root}`,
      include: [join(root, 'include'), join(root, 'include/torch/csrc/api/include')],
      libdir: join(root, 'lib'),
    };
  }
  return {
    source: "Debian's libtorch-dev",
    include: ['/usr/include', '/usr/include/torch/csrc/api/include'],
    libdir: DEBIAN_LIB,
  };
}

function problems(where) {
  const out = [];
  if (!existsSync(join(where.libdir, 'libtorch.so')))
    out.push(`${join(where.libdir, 'libtorch.so')} not found`);
  if (!existsSync(join(where.include[0], 'ATen/ATen.h')))
    out.push(`${join(where.include[0], 'ATen/ATen.h')} not found`);
  return out;
}

// Official zips come in pre-cxx11 and cxx11 ABI builds; the symbol names in libc10 tell them apart.
function cxx11Abi(where) {
  try {
    const bytes = readFileSync(join(where.libdir, 'libc10.so'));
    return bytes.includes('__cxx11') ? 1 : 0;
  } catch {
    return 1;
  }
}

function libs(where) {
  const names = ['c10', 'torch_cpu', 'torch'];
  for (const extra of ['c10_cuda', 'torch_cuda']) {
    if (existsSync(join(where.libdir, `lib${extra}.so`))) names.push(extra);
  }
  // --no-as-needed keeps libtorch_cuda linked although no symbol of it is referenced directly:
  // its static initialisers register the CUDA kernels.
  return [
    '-Wl,--no-as-needed',
    `-L${where.libdir}`,
    ...names.map((n) => `-l${n}`),
    `-Wl,-rpath,${where.libdir}`,
  ];
}

module.exports = { locate, problems, cxx11Abi };

if (require.main === module) {
  const where = locate();
  const what = process.argv[2];
  if (what === 'include') console.log(where.include.join(' '));
  else if (what === 'libs') console.log(libs(where).join(' '));
  else if (what === 'abi') console.log(cxx11Abi(where));
  else if (what === 'check') {
    const found = problems(where);
    console.log(JSON.stringify({ source: where.source, libdir: where.libdir, problems: found }));
  } else {
    console.error('usage: node libtorch-config.cjs include|libs|abi|check');
    process.exit(2);
  }
}
