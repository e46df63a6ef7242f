import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });

describe('r1-reward CLI', () => {
  it('prints the package version', () => {
    const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
    assert.equal(cli('--version').stdout.trim(), version);
  });

  it('lists its commands in --help', () => {
    const out = cli('--help');
    assert.equal(out.status, 0);
    assert.match(out.stdout, /self-check/);
  });

  it('self-check reports libtorch and BLAS as JSON', () => {
    const out = cli('self-check', '--json');
    const report = JSON.parse(out.stdout) as { libtorch: { libraryFound: boolean; blas: string } };
    assert.equal(typeof report.libtorch.libraryFound, 'boolean');
    assert.equal(out.status, report.libtorch.libraryFound ? 0 : 1);
  });

  it('rejects an unknown command with a clear message', () => {
    const out = cli('frobnicate');
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /unknown command 'frobnicate'/);
  });
});
