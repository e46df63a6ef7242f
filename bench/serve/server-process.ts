// One reward server for bench/serve, in its own process so the load client and the loopback
// referee do not share its event loop. Prints {"url": …} once listening.
//   --mode batched     this project's server: the whole batch goes to the referee at once
//   --mode sequential  the released server's design: one sample at a time, each waiting for its
//                      referee call (requests still run concurrently, as Flask's threaded server does)
import Fastify from 'fastify';
import { createReferee } from '../../src/reward/referees/index.js';
import {
  extraLogs,
  type RewardRequest,
  type ScoredSample,
  scoreBatch,
} from '../../src/serve/reward-batch.js';
import { readRewardLabels } from '../../src/serve/reward-labels.js';
import { buildRewardServer } from '../../src/serve/reward-server.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  if (i < 0) throw new Error(`missing ${name}`);
  return process.argv[i + 1]!;
};
const mode = arg('--mode');
const referee = createReferee(arg('--referee'), { model: 'loopback-referee' });
const labels = await readRewardLabels(arg('--labels'));

let app: Awaited<ReturnType<typeof buildRewardServer>>;
if (mode === 'batched') {
  app = await buildRewardServer({ referee, labels });
} else if (mode === 'sequential') {
  app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
  app.post('/get_reward', async (request) => {
    const body = request.body as RewardRequest;
    const samples: ScoredSample[] = [];
    for (let i = 0; i < body.query.length; i++) {
      const one = await scoreBatch(
        { query: [body.query[i]!], prompts: [body.prompts?.[i] ?? null], labels: [body.labels?.[i] ?? null] },
        { referee, labels },
      );
      samples.push(...one);
    }
    return {
      rewards: samples.map((s) => s.reward),
      scores: samples.map((s) => s.result),
      extra_logs: extraLogs(samples),
    };
  });
  app.get('/metrics', async () => `r1_reward_process_resident_memory_bytes ${process.memoryUsage().rss}\n`);
} else throw new Error(`--mode must be batched or sequential, got ${mode}`);

const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ url }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
