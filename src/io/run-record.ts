// What every run records about itself (config, seed, versions, git commit), so that any result can
// be traced back to exactly the code and settings that made it. A resumable job opens its folder with
// openRunRecord: run.json is written once, and a later invocation with another config is refused, so
// one folder never mixes the results of two configs.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { VERSION } from '../version.js';
import { writeJsonAtomic } from './atomic-write.js';

/** The run record's file in every run folder. */
export const RUN_RECORD_FILE = 'run.json';

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
  const path = join(runDir, RUN_RECORD_FILE);
  writeJsonAtomic(path, record);
  return path;
}

/** Options of {@link openRunRecord}. */
export interface OpenRunRecordOptions {
  seed: number;
  /** Versions beyond r1-reward's and node's. */
  versions?: { libtorch?: string };
  /** Top-level config fields a later invocation may change (output folder, data paths, endpoints). */
  mayDiffer?: readonly string[];
  /** What a user keeps to continue the run, for the refusal (default 'the same options'). */
  sameAs?: string;
}

/**
 * Opens a resumable run folder's record: writes run.json the first time; later, returns the record
 * already there if it was made by `command` with the same config (the run continues), and otherwise
 * throws a ConfigError naming the first field that differs and how to go on.
 */
export function openRunRecord<Config extends object>(
  dir: string,
  command: string,
  config: Config,
  options: OpenRunRecordOptions,
): RunRecord<Config> {
  const path = join(dir, RUN_RECORD_FILE);
  if (!existsSync(path)) {
    const record = makeRunRecord(command, config, options.seed, options.versions);
    saveRunRecord(dir, record);
    return record;
  }
  const newFolder = 'or give a new --out folder';
  let record: RunRecord<Config>;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as RunRecord<Config>;
  } catch (error) {
    throw new ConfigError(`${path} is damaged (${(error as Error).message}); restore it, ${newFolder}`);
  }
  if (record.command !== command)
    throw new ConfigError(
      `${dir} holds a '${record.command}' run, not '${command}'; give a new --out folder`,
    );
  const ignored = new Set(options.mayDiffer ?? []);
  const kept = (value: object) => Object.fromEntries(Object.entries(value).filter(([k]) => !ignored.has(k)));
  const now = JSON.parse(JSON.stringify(kept(config))) as unknown;
  const before = kept(record.config ?? {});
  const field = firstDifference(before, now);
  if (field !== undefined)
    throw new ConfigError(
      `${dir} was started with ${field} = ${shown(valueAt(before, field))}, ` +
        `not ${shown(valueAt(now, field))}; rerun with ${options.sameAs ?? 'the same options'} to continue it, ${newFolder}`,
    );
  return record;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first field (dotted path) where two JSON values differ, or undefined when they are equal. */
function firstDifference(before: unknown, now: unknown, path = ''): string | undefined {
  if (isRecord(before) && isRecord(now)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(now)])) {
      const found = firstDifference(before[key], now[key], path === '' ? key : `${path}.${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return JSON.stringify(before) === JSON.stringify(now) ? undefined : path;
}

function valueAt(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), value);
}

/** A config value for a message: JSON, cut to a line; 'unset' for a missing field. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'unset';
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
