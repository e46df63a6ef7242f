// bench/serve: the policy reward server's own cost. An in-process judge backend that answers at once
// (it prefers the response containing GOOD, no model), so every millisecond measured is the server's:
// HTTP, request checks, item lookup, grouping, the ranking library, scoring. 64 concurrent clients
// (bench/serve/policy-load.mjs, a separate process) send one rollout per request; reference mode and
// group mode (8 rollouts a prompt, round robin, both orders, K = 1) in one run.
//   node --import tsx bench/serve/policy-throughput.ts [--rollouts 20000] [--clients 64] [--prompts 512]
// Prints rollouts answered per second and the server process's CPU time per rollout (user + system,
// every thread; the load generator's CPU is not in it).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { JudgeBackend, JudgeRequest } from '../../src/judge/backend.js';
import { BoundedJudgementCache } from '../../src/serve/bounded-cache.js';
import { ItemImages, readPolicyItems } from '../../src/serve/policy-items.js';
import { createPolicyJudge } from '../../src/serve/policy-judge.js';
import { buildPolicyRewardServer, type PolicyRewardMode } from '../../src/serve/policy-reward-server.js';

const { values: args } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '20000' },
    clients: { type: 'string', default: '64' },
    prompts: { type: 'string', default: '512' },
  },
});
const rollouts = Number(args.rollouts);
const clients = Number(args.clients);
const prompts = Number(args.prompts);
const GROUP_SIZE = 8;

/** Answers every judge request at once: Response 1 or 2, whichever contains GOOD (else 1). */
class InstantJudge implements JudgeBackend {
  readonly identity = 'bench-instant-judge';
  requests = 0;
  async sample(request: JudgeRequest, k: number): Promise<string[]> {
    this.requests++;
    const second = request.text.lastIndexOf('GOOD') > request.text.indexOf('[Response 2]');
    const answer = `<think>one of them says GOOD</think><answer>${second ? 2 : 1}</answer>`;
    return new Array<string>(k).fill(answer);
  }
}

async function measure(mode: PolicyRewardMode, dataFile: string, root: string) {
  const backend = new InstantJudge();
  const judge = createPolicyJudge(backend, {
    scheme: 'round-robin',
    k: 1,
    order: 'both',
    seed: 0,
    cache: new BoundedJudgementCache(100_000),
  });
  const app = await buildPolicyRewardServer({
    mode,
    judge,
    images: new ItemImages({ imagesRoot: root }),
    items: await readPolicyItems(dataFile, { imagesRoot: root, requireReference: true }),
    imagesRoot: root,
    groupSize: GROUP_SIZE,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const run = async (total: number, tag: string) => {
    const cpuStart = process.cpuUsage();
    const child = spawn(
      process.execPath,
      [
        new URL('policy-load.mjs', import.meta.url).pathname,
        url,
        String(total),
        String(clients),
        String(GROUP_SIZE),
        String(prompts),
        tag,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const cpu = process.cpuUsage(cpuStart);
    if (code !== 0) throw new Error(`bench/serve/policy-load.mjs exited with ${code}`);
    const load = JSON.parse(out) as { seconds: number; statuses: Record<string, number>; failed: number };
    return { ...load, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  try {
    await run(Math.min(2000, rollouts), 'warm-up'); // warm-up: JIT, sockets, the item index
    const before = backend.requests;
    const result = await run(rollouts, 'measured');
    return {
      mode,
      rollouts,
      clients,
      perSecond: rollouts / result.seconds,
      cpuMsPerRollout: result.cpuMs / rollouts,
      judgeRequestsPerRollout: (backend.requests - before) / rollouts,
      statuses: result.statuses,
      failed: result.failed,
      // The load generator's process start-up counts in its wall time, not in the server's CPU.
      seconds: result.seconds,
    };
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bench-policy-'));
  try {
    const dataFile = join(root, 'prompts.jsonl');
    const lines = Array.from({ length: prompts }, (_, p) =>
      JSON.stringify({
        message: `What is in picture ${p}?`,
        question: `Question ${p}`,
        reference: p % 2 ? 'a GOOD reference' : 'a plain reference',
      }),
    );
    writeFileSync(dataFile, `${lines.join('\n')}\n`);
    const results = [];
    for (const mode of ['reference', 'group'] as const) results.push(await measure(mode, dataFile, root));
    console.log(
      `\n${rollouts} rollouts, ${clients} concurrent clients (one rollout a request), instant in-process judge; group mode: ${GROUP_SIZE} a prompt, round robin, both orders, K = 1\n| mode | rollouts answered / s | server CPU ms per rollout | judge requests per rollout | non-200 or failed |\n|---|---:|---:|---:|---:|`,
    );
    for (const r of results)
      console.log(
        `| ${r.mode} | ${r.perSecond.toFixed(0)} | ${r.cpuMsPerRollout.toFixed(3)} | ${r.judgeRequestsPerRollout.toFixed(1)} | ${r.failed} |`,
      );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
