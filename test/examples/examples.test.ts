// Every snippet in examples/ runs as a user would run it (node --import tsx), and prints what its
// comments promise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { engineSkipReason } from '../engine/fixtures.js';
import { png, writeTinyCheckpoint } from '../serve/tiny-checkpoint.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const example = (name: string, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(ROOT, 'examples', name), ...args], { cwd: ROOT });

const skip = engineSkipReason();

describe('examples/', () => {
  it('parse-and-reward: rewards 2 for a right, consistent, well-formed judgement and 0.5 when inconsistent', async () => {
    const lines = (await example('parse-and-reward.ts')).stdout.trim().split('\n');
    const rows = lines.map((l) => JSON.parse(l) as { reward: number; consistency: number; via: string });
    assert.deepEqual(
      rows.map((r) => r.reward),
      [2, 0.5, 1.5],
    );
    assert.equal(rows[1]!.consistency, -1);
    assert.equal(rows[2]!.via, 'fallback');
  });

  it('stable-reinforce-loss: finite loss and a gradient on the valid tokens only', { skip }, async () => {
    const out = (await example('stable-reinforce-loss.ts')).stdout;
    const loss = Number(/^loss (\S+)/m.exec(out)?.[1]);
    assert.ok(Number.isFinite(loss), out);
    const grad = JSON.parse(/^d loss \/ d log-probs (.+)$/m.exec(out)![1]!) as number[][];
    assert.deepEqual(grad[1]!.slice(2), [0, 0]); // padding gets no gradient
    assert.ok(grad[0]!.some((g) => g !== 0));
  });

  it('judge-pair-local: judges both orders with 3 samples each', { skip }, async () => {
    const checkpoint = writeTinyCheckpoint();
    const image = join(dirname(checkpoint), 'square.png');
    writeFileSync(image, await png(32, 32));
    try {
      const out = (await example('judge-pair-local.ts', checkpoint, image)).stdout.trim().split('\n');
      assert.equal(out.length, 3, out.join('\n'));
      const { votes } = JSON.parse(out[2]!) as {
        votes: { first: number; second: number; unparseable: number };
      };
      assert.equal(votes.first + votes.second + votes.unparseable, 6);
    } finally {
      rmSync(dirname(checkpoint), { recursive: true, force: true });
    }
  });

  it('score-benchmark-predictions: official MM-RLHF metrics and a report from raw outputs', async () => {
    const out = (await example('score-benchmark-predictions.ts')).stdout.trim().split('\n');
    const report = /^report: (.+)$/.exec(out[1]!)?.[1];
    assert.ok(report, out.join('\n'));
    try {
      const metrics = JSON.parse(out[0]!) as {
        overall: number;
        accPlus: number;
        votingAtK: Record<string, number>;
        categories: Record<string, { items: number; accuracy: number }>;
        unparseable: number;
      };
      // 3 of 4 pairs right by Voting@3; only question q2 has both of its pairs right.
      assert.equal(metrics.overall, 0.75);
      assert.equal(metrics.accPlus, 0.5);
      assert.deepEqual(metrics.votingAtK, { 1: 1, 2: 0.75, 3: 0.75 });
      assert.deepEqual(metrics.categories['mcq'], { items: 2, accuracy: 0.5 });
      assert.equal(metrics.unparseable, 1);
      assert.match(readFileSync(report, 'utf8'), /75\.00/);
    } finally {
      rmSync(dirname(report), { recursive: true, force: true });
    }
  });

  it('reward-server-http: the OpenRLHF request gets rewards 2 and 0.5 over a real socket', async () => {
    const body = JSON.parse((await example('reward-server-http.ts')).stdout.trim()) as {
      status: number;
      rewards: number[];
      logs: string[];
    };
    assert.equal(body.status, 200);
    assert.deepEqual(body.rewards, [2, 0.5]);
    assert.ok(body.logs.includes('consistency'), body.logs.join());
  });

  it('judge-openai-endpoint: both orders through the stand-in chat-completions server agree', async () => {
    const out = (await example('judge-openai-endpoint.ts')).stdout.trim().split('\n');
    assert.equal(out.length, 3, out.join('\n'));
    const result = JSON.parse(out[2]!) as {
      votes: { first: number; second: number; unparseable: number };
      preferred: number;
      consistent: boolean;
    };
    // The stand-in prefers the longer response, the pair's first one, wherever it is shown.
    assert.deepEqual(result.votes, { first: 6, second: 0, unparseable: 0 });
    assert.equal(result.preferred, 1);
    assert.equal(result.consistent, true);
  });

  it('train-sft-then-rl: SFT then StableReinforce leave checkpoints and logs', { skip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-example-train-'));
    try {
      const out = (await example('train-sft-then-rl.ts', dir)).stdout.trim().split('\n');
      const result = JSON.parse(out.at(-1)!) as {
        sft: { checkpoint: string; steps: number; heldOutAccuracy: number };
        rl: { checkpoint: string; steps: number; heldOutAccuracy: number };
      };
      assert.equal(result.sft.steps, 6);
      assert.equal(result.rl.steps, 2);
      assert.ok(result.rl.checkpoint.startsWith(join(dir, 'rl')), result.rl.checkpoint);
      assert.ok(existsSync(result.sft.checkpoint) && existsSync(result.rl.checkpoint));
      assert.ok(result.rl.heldOutAccuracy >= 0 && result.rl.heldOutAccuracy <= 1);
      assert.equal(out.filter((l) => l.startsWith('rl ')).length, 2, out.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
