// What every run records about itself (config, seed, versions, git commit), so that any result can
// be traced back to exactly the code and settings that made it.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { VERSION } from '../version.js';
import { writeJsonAtomic } from './atomic-write.js';

export interface RunRecord<Config> {
  command: string;
  config: Config;
  seed: number;
  startedAt: string;
  versions: { 'r1-reward': string; node: string; libtorch?: string };
  gitCommit: string | null;
  gitDirty: boolean | null;
  machine: { platform: string; cpus: number; cpuModel: string };
  argv: string[];
}

/** The package's own checkout (src/io or dist/io, two levels down), not the caller's cwd. */
const PACKAGE_ROOT = new URL('../..', import.meta.url).pathname;

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

/** The git commit of the code that is running, or null outside a git checkout. */
export function gitCommit(): string | null {
  return git(['rev-parse', 'HEAD']);
}

export function makeRunRecord<Config>(
  command: string,
  config: Config,
  seed: number,
  extraVersions: { libtorch?: string } = {},
): RunRecord<Config> {
  const commit = gitCommit();
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
  return {
    command,
    config,
    seed,
    startedAt: new Date().toISOString(),
    versions: { 'r1-reward': VERSION, node: process.version, ...extraVersions },
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
    machine: {
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
    },
    argv: process.argv.slice(2),
  };
}

/** Writes `run.json` into a run directory (atomically). */
export function saveRunRecord<Config>(runDir: string, record: RunRecord<Config>): string {
  const path = join(runDir, 'run.json');
  writeJsonAtomic(path, record);
  return path;
}
