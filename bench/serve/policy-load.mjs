// The load side of bench/serve/policy-throughput.ts, in its own process so that the server's CPU time
// is the server's alone: `clients` concurrent keep-alive HTTP clients, each sending one rollout per
// request (as OpenRLHF does) from a shared queue, until `total` rollouts are answered.
//   node bench/serve/policy-load.mjs URL TOTAL CLIENTS GROUP_SIZE PROMPTS TAG
// Rollout j belongs to prompt floor(j / GROUP_SIZE) mod PROMPTS, with a response of its own (TAG and
// j), so a group's N rollouts arrive together and no two rollouts, in this run or another, share a
// judge request. node:http with a keep-alive agent (fetch costs more per request than the server).
// Prints one JSON line.
import http from 'node:http';

const url = process.argv[2];
const [total, clients, groupSize, prompts] = process.argv.slice(3, 7).map(Number);
const tag = process.argv[7];
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const { hostname, port } = new URL(url);
const prompt = (p) => `What is in picture ${p}?`;
const query = (p, response) =>
  `<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>${prompt(p)}<|im_end|>\n<|im_start|>assistant\n${response}<|im_end|>`;

function post(body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        hostname,
        port,
        path: '/get_reward',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks = [];
        response.on('data', (c) => chunks.push(c));
        response.on('end', () =>
          resolve({ status: response.statusCode, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

let next = 0;
const statuses = {};
let failed = 0;
async function client() {
  for (;;) {
    const j = next++;
    if (j >= total) return;
    const p = Math.floor(j / groupSize) % prompts;
    const response = `${j % 3 === 0 ? 'GOOD ' : ''}answer ${tag}-${j}`;
    const reply = await post(
      JSON.stringify({ query: [query(p, response)], prompts: [prompt(p)], labels: [''] }),
    );
    statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
    if (reply.status !== 200 || reply.body.extra_logs.judge_failed[0] !== 0) failed++;
  }
}
const start = performance.now();
await Promise.all(Array.from({ length: clients }, client));
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({ seconds, statuses, failed }));
agent.destroy();
