// Run the reward server in-process and call it over HTTP the way OpenRLHF's remote reward model
// does (--remote_rm_url http://HOST:PORT/get_reward): a batch of full decoded sequences (`query`,
// chat template included), their prompts and labels in; one reward per sequence out.
// Run: node --import tsx examples/reward-server-http.ts
// The same server from the command line: r1-reward serve-reward --port 5000 [--labels r1_rl.jsonl]
import { buildRewardServer, createRuleReferee } from '../src/index.js';

// The consistency referee C: 'rule' here (local, deterministic); createReferee('http://…/v1') asks
// an OpenAI-compatible model instead, as the paper does.
const app = await buildRewardServer({ referee: createRuleReferee() });
await app.listen({ host: '127.0.0.1', port: 0 }); // port 0: any free port
const { port } = app.server.address() as { port: number };

const prompt =
  '<|im_start|>user\nWhich response describes the image better?<|im_end|>\n<|im_start|>assistant\n';
const responses = [
  // right, well formed, analysis agrees with the answer: R·(1 + 0.5·C) + 0.5·F = 1·1.5 + 0.5 = 2
  '<think>Response 1 says the circle is red, but it is blue. Response 2 is better.</think><answer>2</answer>',
  // wrong answer: R = 0, so only the format reward 0.5 is left
  '<think>Response 2 misses the circle, so Response 1 is better.</think><answer>1</answer>',
];
try {
  const res = await fetch(`http://127.0.0.1:${port}/get_reward`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: responses.map((r) => `${prompt}${r}<|im_end|>`),
      prompts: responses.map(() => prompt),
      labels: [2, 2], // the human-preferred response; or serve-reward --labels to look them up by prompt
    }),
  });
  const body = (await res.json()) as {
    rewards: number[];
    scores: number[];
    extra_logs: Record<string, number[]>;
  };
  console.log(
    JSON.stringify({ status: res.status, rewards: body.rewards, logs: Object.keys(body.extra_logs) }),
  );
} finally {
  await app.close();
}
