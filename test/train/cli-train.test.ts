// The training commands are wired: listed in --help, and a bad option gives one clear message.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });

describe('r1-reward train / report / experiment', () => {
  it('lists the commands and rejects a bad RL config with a message naming the field', () => {
    const help = cli('--help');
    for (const command of ['train', 'report', 'experiment'])
      assert.match(help.stdout, new RegExp(`\\b${command}\\b`));
    const bad = cli(
      'train',
      'rl',
      '--data',
      'rl.jsonl',
      '--checkpoint',
      'nowhere',
      '--out',
      'nowhere-run',
      '--algorithm',
      'ppo2',
    );
    assert.equal(bad.status, 1);
    assert.match(
      bad.stderr,
      /invalid RL config:[\s\S]*expected one of "stable-reinforce"[\s\S]*at algorithm/,
    );
    assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });
});
