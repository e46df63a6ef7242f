// The options every command shares (src/cli/options.ts), checked on the whole command tree in
// process: one name per concept, defaults shown in --help, exit codes listed, and deprecated
// aliases that still work with a one-line warning.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { deprecatedAlias, msToSeconds, resolveCheckpointPath, seconds } from '../../src/cli/options.js';
import { buildProgram } from '../../src/cli/program.js';

/** Every command that runs something (no subcommands), with its full name. */
function leaves(command: Command, prefix = ''): [string, Command][] {
  const name = `${prefix}${prefix ? ' ' : ''}${command.name()}`;
  if (command.commands.length === 0) return [[name, command]];
  return command.commands.flatMap((c) => leaves(c, name));
}

const program = buildProgram();
const commands = leaves(program).map(([name, c]) => [name.replace(/^r1-reward /, ''), c] as const);

/** Captures console.error while `run` runs. */
function stderrOf(run: () => void): string[] {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    run();
  } finally {
    console.error = original;
  }
  return lines;
}

describe('the command tree', () => {
  it('shows the default of every optional value in --help', () => {
    const missing: string[] = [];
    for (const [name, command] of commands)
      for (const option of command.options) {
        const takesValue = option.required || option.optional;
        if (option.hidden || !takesValue || option.mandatory) continue;
        if (option.defaultValue === undefined && !/\(default: /.test(option.description))
          missing.push(`${name} ${option.long}`);
      }
    assert.deepEqual(missing, []);
  });

  it('lists its exit codes in every command’s --help', () => {
    for (const [name, command] of commands) {
      const help = captureHelp(command);
      assert.match(help, /Exit codes:\n {2}0 {3}done\n {2}1 {3}failed/, name);
      assert.equal(help.match(/Exit codes:/g)?.length, 1, `${name}: one exit-code table`);
    }
    assert.match(captureHelp(commandNamed('judge')), /\n {2}4 {3}no majority/);
    assert.match(
      captureHelp(commandNamed('bench score')),
      /\n {2}3 {3}overall accuracy below --min-accuracy/,
    );
  });

  it('uses one name per concept: no command declares the older spellings', () => {
    const visible = new Map<string, string[]>();
    for (const [name, command] of commands)
      for (const option of command.options)
        if (!option.hidden && option.long)
          visible.set(option.long, [...(visible.get(option.long) ?? []), name]);
    for (const old of ['--images', '--image-root', '--file', '--local', '--init', '--model', '--name'])
      assert.equal(visible.get(old), undefined, `${old} is still a visible option of ${visible.get(old)}`);
    assert.ok(visible.get('--images-root')!.includes('serve'));
    assert.ok(visible.get('--images-root')!.includes('bench run'));
    assert.ok(visible.get('--images-root')!.includes('data check'));
    for (const name of ['serve', 'judge', 'bench run', 'train sft', 'train rl'])
      assert.ok(visible.get('--checkpoint')!.includes(name), name);
    for (const [flag] of visible)
      assert.doesNotMatch(flag, /timeout-ms|deadline-ms/, 'timeouts are in seconds');
  });
});

function commandNamed(name: string): Command {
  return commands.find(([n]) => n === name)![1];
}

function captureHelp(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe('deprecated aliases', () => {
  const command = () => {
    const c = new Command('probe').exitOverride();
    c.requiredOption('--deadline <seconds>', 'deadline', seconds('--deadline'), 120);
    c.option('--images-root <dir>', 'images');
    deprecatedAlias(c, '--deadline-ms <ms>', '--deadline', msToSeconds);
    deprecatedAlias(c, '--images <dir>', '--images-root');
    return c;
  };

  it('set the new option (units converted) and warn once on stderr', () => {
    const c = command();
    const warnings = stderrOf(() => c.parse(['--deadline-ms', '1500', '--images', 'pics'], { from: 'user' }));
    assert.equal(c.opts()['deadline'], 1.5);
    assert.equal(c.opts()['imagesRoot'], 'pics');
    assert.deepEqual(warnings, [
      'warning: --deadline-ms is deprecated; use --deadline (same meaning)',
      'warning: --images is deprecated; use --images-root (same meaning)',
    ]);
  });

  it('satisfy a required option, and are checked by the new option’s parser', () => {
    const c = command();
    c.configureOutput({ writeErr: () => {} });
    stderrOf(() =>
      assert.throws(
        () => c.parse(['--deadline-ms', 'soon'], { from: 'user' }),
        (e: Error & { exitCode?: number }) =>
          /--deadline is a number of seconds/.test(e.message) && e.exitCode === 2,
      ),
    );
  });

  it('are hidden from --help', () => {
    assert.doesNotMatch(captureHelp(command()), /--deadline-ms|--images </);
  });
});

describe('checkpoint paths', () => {
  const root = mkdtempSync(join(tmpdir(), 'r1-cli-ckpt-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  it('a checkpoint folder as given, a run folder as its newest checkpoint, anything else as given', () => {
    const run = join(root, 'run');
    for (const step of ['step-000010', 'step-000020', 'step-000030']) {
      mkdirSync(join(run, 'checkpoints', step), { recursive: true });
      // step-000030 has no manifest: a checkpoint being written, not one to load.
      if (step !== 'step-000030') writeFileSync(join(run, 'checkpoints', step, 'manifest.json'), '{}');
    }
    assert.equal(resolveCheckpointPath(run), join(run, 'checkpoints', 'step-000020'));
    assert.equal(
      resolveCheckpointPath(join(run, 'checkpoints', 'step-000010')),
      join(run, 'checkpoints', 'step-000010'),
    );
    assert.equal(resolveCheckpointPath(join(root, 'absent')), join(root, 'absent'));
  });
});
