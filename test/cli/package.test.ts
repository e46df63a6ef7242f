// The CLI as the npm package ships it: the sources built afresh into a temporary package folder that
// holds exactly what `npm pack` would put in the tarball (package.json's `files`), installed into a
// temporary project as node_modules/r1-reward with its bin link, then run through that link. A file
// the CLI needs at run time but the package does not ship makes this fail.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'r1-package-'));
const pkg = join(work, 'package');
const bin = join(work, 'project', 'node_modules', '.bin', 'r1-reward');

/** The paths `npm pack` would ship from the repository (build output left out: it is built afresh). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
  });
  const [{ files }] = JSON.parse(out) as [{ files: { path: string }[] }];
  return files.map((f) => f.path).filter((path) => !path.startsWith('dist/'));
}

before(() => {
  for (const path of packedFiles()) {
    mkdirSync(dirname(join(pkg, path)), { recursive: true });
    cpSync(join(root, path), join(pkg, path));
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  // The package's dependencies, as npm would install them beside it.
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  // `npm install` of the tarball: node_modules/r1-reward and the bin link package.json names.
  const { bin: bins } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  mkdirSync(dirname(bin), { recursive: true });
  symlinkSync(pkg, join(work, 'project', 'node_modules', 'r1-reward'), 'dir');
  symlinkSync(join('..', 'r1-reward', bins['r1-reward']!), bin);
  chmodSync(join(pkg, bins['r1-reward']!), 0o755); // npm marks bin targets executable on install
});
after(() => rmSync(work, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(bin, args, { cwd: join(work, 'project'), encoding: 'utf8', env: { ...process.env, CI: '1' } });

describe('the packaged CLI (built, packed files only, run through its bin link)', () => {
  it('r1-reward --version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const out = run('--version');
    assert.equal(out.status, 0, out.error?.message ?? out.stderr);
    assert.equal(out.stdout.trim(), version);
  });

  it('r1-reward judge --help describes the judge command', () => {
    const out = run('judge', '--help');
    assert.equal(out.status, 0, out.error?.message ?? out.stderr);
    assert.match(out.stdout, /^Usage: r1-reward judge /m);
    assert.match(out.stdout, /--endpoint/);
  });
});
