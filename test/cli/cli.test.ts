import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('rejects an unknown command or option as a usage error (exit code 2)', () => {
    const command = cli('frobnicate');
    assert.equal(command.status, 2);
    assert.match(command.stderr, /^error: unknown command 'frobnicate'/);
    const option = cli('data', 'check', '--benchmark', 'synthetic', '--data', 'x.jsonl', '--frobnicate');
    assert.equal(option.status, 2);
    assert.match(option.stderr, /^error: unknown option '--frobnicate'/);
  });

  it('runs a script written for the older option names, with one warning line per renamed option', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-cli-alias-'));
    try {
      const data = join(dir, 'vl.jsonl');
      const item = { id: 'wildvision_1', prompt: 'q', chosen: 'c', rejected: 'r', image: 'img/1.png' };
      writeFileSync(data, `${JSON.stringify(item)}\n`);
      const out = cli(
        'data',
        'check',
        '--benchmark',
        'vl-rewardbench',
        '--file',
        data,
        '--no-check-images',
        '--json',
      );
      assert.equal(out.status, 0, out.stderr);
      assert.equal(JSON.parse(out.stdout).items, 1);
      assert.equal(out.stderr, 'warning: --file is deprecated; use --data (same meaning)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
