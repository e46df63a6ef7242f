// `r1-reward serve-policy-reward` as a process: the real CLI wiring with an OpenAI-compatible judge
// over HTTP (the scripted judge), and SIGTERM answering what it holds before it exits.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { type ScriptedJudge, startScriptedJudge } from '../judge/scripted-judge.js';
import { startCliServer } from './cli-server.js';
import { post, prompt, rollout, until } from './policy-fixtures.js';

describe('serve-policy-reward (CLI)', () => {
  let judge: ScriptedJudge;
  let data: string;
  before(async () => {
    judge = await startScriptedJudge();
    const dir = mkdtempSync(join(tmpdir(), 'r1-policy-cli-'));
    data = join(dir, 'prompts.jsonl');
    writeFileSync(
      data,
      `${JSON.stringify({ message: prompt(1), question: 'Q1', reference: 'a plain reference' })}\n`,
    );
  });
  after(() => judge.close());

  const args = (mode: string) => [
    'serve-policy-reward',
    '--data',
    data,
    '--mode',
    mode,
    '--endpoint',
    judge.url,
    '--model',
    'scripted',
    '--group-size',
    '4',
  ];

  it('reference mode through an OpenAI-compatible judge: both orders, one judge call each', async () => {
    const server = await startCliServer(args('reference'));
    try {
      const calls = judge.log.length;
      const r = await rollout(server.url, 1, 'GOOD answer');
      assert.deepEqual([r.status, r.body.scores, r.body.rewards], [200, [1], [0.5]]);
      assert.equal(judge.log.length - calls, 2);
      const empty = await post(server.url, { query: [], prompts: [], labels: [] });
      assert.deepEqual(empty.body, { rewards: [], scores: [], extra_logs: {} });
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('SIGTERM ranks and answers the rollouts it holds, then exits 0', async () => {
    const server = await startCliServer(args('group'));
    const pending = [rollout(server.url, 1, 'GOOD a'), rollout(server.url, 1, 'plain b')];
    await until(server.url, (h) => h.groups.held === 2);
    const exited = server.stop();
    const [good, plain] = await Promise.all(pending);
    assert.deepEqual([good!.body.scores, plain!.body.scores], [[1], [0]]);
    assert.deepEqual(good!.body.extra_logs.group_flushed, [1]);
    assert.equal(await exited, 0);
  });

  it('refuses a --format-pattern that is not a regular expression (exit 2, naming the flag)', async () => {
    const r = await runCli(['serve-policy-reward', '--data', data, '--format-pattern', '(unclosed']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--format-pattern: not a regular expression/);
  });

  it('refuses bad options with one clear line', async () => {
    await assert.rejects(
      startCliServer(['serve-policy-reward', '--data', data, '--mode', 'reference', '--model', 'x']),
      /exited early/,
    );
  });
});
