// Every snippet in examples/ runs as a user would run it (node --import tsx), and prints what its
// comments promise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { engineAvailable } from '../../src/engine/index.js';
import { png, writeTinyCheckpoint } from '../serve/tiny-checkpoint.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const example = (name: string, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(ROOT, 'examples', name), ...args], { cwd: ROOT });

const skip = engineAvailable()
  ? false
  : 'the tensor engine (native addon) is not built: run npm run build:native';

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
});
