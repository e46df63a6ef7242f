// What every command shares: one name per concept (the images folder, the data file, a checkpoint,
// a server's model name, timeouts in seconds), deprecated aliases that keep older scripts working,
// the exit codes, and one error prefix. A command adds these instead of declaring its own variant.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';

/** Every exit code of the CLI, one meaning each (docs/cli.md has the table). */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The command failed: the reason is on stderr after `error:` (for a server: it could not start). */
  failed: 1,
  /** Usage: an unknown command or option, a missing option, or an option value that is not valid. */
  usage: 2,
  /** `bench score --min-accuracy`: the overall accuracy is below the threshold. */
  belowMinAccuracy: 3,
  /** `judge`: no majority (the votes tied, or every sample was unparseable). */
  noMajority: 4,
  /** Stopped by Ctrl-C / SIGTERM; rerunning the same command resumes. */
  interrupted: 130,
} as const;

type ExitName = keyof typeof EXIT;

const EXIT_TEXT: Record<ExitName, string> = {
  ok: 'done',
  failed: 'failed (the reason follows "error:" on stderr)',
  usage: 'usage error (unknown or missing option, invalid value)',
  belowMinAccuracy: 'overall accuracy below --min-accuracy',
  noMajority: 'no majority (tied votes or every sample unparseable)',
  interrupted: 'interrupted (rerun the same command to resume)',
};

/** The "Exit codes:" block of a command's --help: 0, 1, 2 and the command's own `extra` codes. */
function exitCodesHelp(extra: readonly ExitName[] = []): string {
  const names: ExitName[] = ['ok', 'failed', 'usage', ...extra];
  const lines = names.map((n) => `  ${String(EXIT[n]).padEnd(4)}${EXIT_TEXT[n]}`);
  return `\nExit codes:\n${lines.join('\n')}`;
}

/** Adds the exit codes a command can return to the end of its --help. */
export function withExitCodes(command: Command, extra: readonly ExitName[] = []): Command {
  return command.addHelpText('after', exitCodesHelp(extra));
}

/** Commander's own errors (unknown option, missing value, bad argument) exit with EXIT.usage. */
export function usageErrorsExitWith2(program: Command): Command {
  return program.exitOverride((error) => {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') process.exit(EXIT.ok);
    if (error.code === 'commander.help') process.exit(error.exitCode);
    process.exit(error.code === 'commander.error' ? EXIT.failed : EXIT.usage);
  });
}

/** The one prefix of every CLI error line. */
export function printError(error: unknown): void {
  const text =
    process.env['R1_DEBUG'] && error instanceof Error && error.stack
      ? error.stack
      : error instanceof Error
        ? error.message
        : String(error);
  console.error(`error: ${text}`);
}

/**
 * Wraps a command action: a failure prints one `error: …` line (what went wrong, how to fix it;
 * R1_DEBUG=1 adds the stack) and exits with EXIT.failed, instead of a stack trace.
 */
export function runAction<A extends unknown[]>(
  action: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      printError(error);
      process.exitCode = EXIT.failed;
    }
  };
}

/**
 * An older spelling of an option that still works: it sets the new option (through the new
 * option's own parser, after `convert`) and prints one warning line on stderr. Hidden from --help.
 */
export function deprecatedAlias(
  command: Command,
  oldFlags: string,
  newLong: string,
  convert: (value: string) => string = (value) => value,
): Command {
  const target = command.options.find((o) => o.long === newLong);
  if (!target) throw new Error(`deprecatedAlias: ${command.name()} has no option ${newLong}`);
  const old = new Option(oldFlags).hideHelp();
  command.addOption(old);
  command.on(`option:${old.name()}`, (value: string) => {
    console.error(`warning: ${old.long} is deprecated; use ${newLong} (same meaning)`);
    let parsed: unknown = convert(value);
    try {
      if (target.parseArg)
        parsed = target.parseArg(parsed as string, command.getOptionValue(target.attributeName()));
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      command.error(`error: option '${old.flags}' argument '${value}' is invalid. ${error.message}`, {
        exitCode: EXIT.usage,
        code: 'commander.invalidArgument',
      });
    }
    command.setOptionValueWithSource(target.attributeName(), parsed, 'cli');
  });
  return command;
}

/** The folder that image paths in a data file are relative to: `--images-root DIR`. */
export function addImagesRootOption(
  command: Command,
  description = 'folder the image paths in the data are relative to (default: the data file’s folder)',
): Command {
  return command.option('--images-root <dir>', description);
}

/** The data file a command reads: `--data FILE` (required). */
export function addDataOption(command: Command, description: string): Command {
  return command.requiredOption('--data <file>', description);
}

/**
 * A checkpoint to load: `--checkpoint DIR`, a checkpoint folder or a run folder (its newest
 * checkpoint, see {@link resolveCheckpointPath}).
 */
export function addCheckpointOption(
  command: Command,
  description: string,
  options: { required?: boolean } = {},
): Command {
  const text = `${description}; a checkpoint folder, or a run folder for its newest checkpoint${options.required ? '' : ' (default: none)'}`;
  return options.required
    ? command.requiredOption('--checkpoint <dir>', text)
    : command.option('--checkpoint <dir>', text);
}

/**
 * A checkpoint folder as given (it holds manifest.json), or a run folder's newest checkpoint
 * (RUN/checkpoints/step-NNNNNN, the trainers' layout). Anything else is returned as given, so that
 * the loader names the problem.
 */
export function resolveCheckpointPath(path: string): string {
  if (existsSync(join(path, 'manifest.json'))) return path;
  const root = join(path, 'checkpoints');
  if (!existsSync(root)) return path;
  const steps = readdirSync(root)
    .filter((name) => /^step-\d{6}$/.test(name) && existsSync(join(root, name, 'manifest.json')))
    .sort();
  return steps.length > 0 ? join(root, steps[steps.length - 1]!) : path;
}

/** A number flag's parser: refuses an empty value or one `check` rejects, naming the flag and `what` it takes. */
export function numberOption(flag: string, check: (x: number) => boolean = () => true, what = 'a number') {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || !check(x))
      throw new InvalidArgumentError(`${flag} must be ${what}, got ${JSON.stringify(value)}`);
    return x;
  };
}

/** An integer flag of at least `min`. */
export const integerAtLeast = (flag: string, min: number) =>
  numberOption(flag, (x) => Number.isSafeInteger(x) && x >= min, `an integer ≥ ${min}`);

/** A whole count of at least 1. */
export const positiveInteger = (flag: string) =>
  numberOption(flag, (x) => Number.isSafeInteger(x) && x >= 1, 'a positive integer');

/** A regular-expression flag (flag `s`): refuses one that does not compile, naming the flag and why. */
export function regexOption(flag: string): (value: string) => RegExp {
  return (value) => {
    try {
      return new RegExp(value, 's');
    } catch (error) {
      throw new InvalidArgumentError(`${flag}: not a regular expression (${(error as Error).message})`);
    }
  };
}

/** `--threads N`: libtorch's intra-op threads for this process (docs/engine.md, "Threads"). */
export function addThreadsOption(command: Command): Command {
  return command.option(
    '--threads <n>',
    "libtorch threads (default: libtorch's own choice)",
    positiveInteger('--threads'),
  );
}

/** A number of seconds > 0 (fractions allowed): the unit of every timeout option. */
export function seconds(flag: string) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || x <= 0)
      throw new InvalidArgumentError(`${flag} is a number of seconds > 0, got ${JSON.stringify(value)}`);
    return x;
  };
}

/** For a deprecated `…-ms` alias of a seconds option: milliseconds → seconds. */
export const msToSeconds = (value: string): string => {
  const ms = Number(value);
  return value.trim() === '' || !Number.isFinite(ms) ? value : String(ms / 1000);
};

/** Appends "(default: X)" to a description, for defaults that live in a config schema, not in commander. */
export function describeDefault(description: string, value: unknown): string {
  return `${description} (default: ${typeof value === 'string' ? value : JSON.stringify(value)})`;
}

/** A comma-separated list option whose every entry is one of `allowed`. */
export const commaList =
  <T extends string>(flag: string, allowed: readonly string[]) =>
  (value: string): T[] => {
    const items = value.split(',').map((s) => s.trim());
    for (const item of items)
      if (!allowed.includes(item))
        throw new InvalidArgumentError(
          `${flag}: unknown '${item}'; use a comma-separated list of ${allowed.join(', ')}`,
        );
    return items as T[];
  };

/** `--shard i/n`: every n-th piece of the work starting at i, with 0 ≤ i < n. */
export const shardOption = (value: string): { index: number; count: number } => {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m || Number(m[1]) >= Number(m[2]))
    throw new InvalidArgumentError(`--shard must be i/n with 0 ≤ i < n (e.g. 0/4), got '${value}'`);
  return { index: Number(m[1]), count: Number(m[2]) };
};
