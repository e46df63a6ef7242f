// The reward server as OpenRLHF sees it: a Python client (standard library only) posts
// OpenRLHF-shaped bodies to a real server on 127.0.0.1; referees are real (rule, or the openai
// client against a loopback endpoint that is fine, slow, down or talking garbage).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createOpenAIReferee, createRuleReferee } from '../../src/reward/referees/index.js';
import { type LabelIndex, readRewardLabels } from '../../src/serve/reward-labels.js';
import { buildRewardServer, type RewardServerOptions } from '../../src/serve/reward-server.js';
import { closedPort, type LoopbackReferee, startLoopbackReferee } from '../reward/loopback-referee.js';
import { startCliServer } from './cli-server.js';
import { runPython } from './run-python.js';

const root = new URL('../../', import.meta.url).pathname;

interface Result {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the client, checked field by field
  body: any;
}
type Case = Record<string, unknown>;

/** Runs the OpenRLHF-shaped Python client on some cases. */
async function python(url: string, cases: Case[]): Promise<Result[]> {
  const out = await runPython([join(root, 'test/serve/openrlhf_client.py'), url], JSON.stringify(cases));
  return JSON.parse(out) as Result[];
}
const one = async (url: string, c: Case) => (await python(url, [c]))[0]!;
const raw = (bytes: Buffer | string, extra: Case = {}): Case => ({
  raw_b64: Buffer.from(bytes).toString('base64'),
  ...extra,
});

const chatml = (response: string) =>
  `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Which response is better?<|im_end|>\n<|im_start|>assistant\n${response}<|im_end|>`;
const llama3 = (response: string) =>
  `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhich response is better?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n${response}<|eot_id|>`;

// R1-Reward RL data: `message` is a JSON string of the chat; `answer` like ["<answer>2</answer>"].
const message = (i: number) =>
  JSON.stringify([
    {
      role: 'user',
      content: [
        { type: 'image', image: `images/${i}.jpg` },
        { type: 'text', text: `Question ${i}` },
      ],
    },
  ]);
const P1 = message(1); // label 1
const P2 = message(2); // label 2

let labels: LabelIndex;
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1-serve-'));
  const path = join(dir, 'rl.jsonl');
  writeFileSync(
    path,
    [
      { message: P1, question: 'Question 1', answer: ['<answer>1</answer>'] },
      { message: P2, question: 'Question 2', answer: ['<answer>2</answer>'] },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  labels = await readRewardLabels(path);
});

async function serve(options: Partial<RewardServerOptions> = {}) {
  const app = await buildRewardServer({ referee: createRuleReferee(), labels, ...options });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

// Hand cases with the rule referee: [response, prompt, expected reward].
const consistent1 = '<think>Response 2 invents a cat. Response 1 is better.</think><answer>1</answer>';
const inconsistent1 = '<think>Response 1 misses the dog, so response 2 is better</think><answer>1</answer>';
const noVerdict1 = '<think>The image shows a dog.</think><answer>1</answer>';
const loose1 = '<think>Response 1 is better.</think>\n<answer>1</answer>';
const noAnswer = '<think>I am not sure.</think>';

describe('reward server: OpenRLHF protocols (Python client)', () => {
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    ({ app, url } = await serve());
  });
  after(() => app.close());

  it('legacy {query, prompts} → {rewards} only, labels looked up by prompt', async () => {
    const r = await one(url, {
      protocol: 'legacy',
      queries: [
        chatml(consistent1),
        chatml(consistent1),
        chatml(inconsistent1),
        llama3(noVerdict1),
        chatml(loose1),
        chatml(noAnswer),
      ],
      prompts: [P1, P2, P1, P1, P1, P1],
    });
    assert.equal(r.status, 200);
    // R·(1 + 0.5·C) + 0.5·F: (R1 F1 C+1) (R0 F1) (R1 F1 C−1) (R1 F1 C0) (R1 F0 C+1) (R0 F0)
    assert.deepEqual(r.body, { rewards: [2, 0.5, 1, 1.5, 1.5, 0] });
  });

  it('current {query, prompts, labels} → {rewards, scores, extra_logs} with one log value per sample', async () => {
    const r = await one(url, {
      protocol: 'current',
      queries: [
        chatml(consistent1),
        chatml(inconsistent1),
        `User: Which?\n\nAssistant: ${consistent1}`,
        consistent1,
      ],
      prompts: [P2, P1, 'not in the file', null],
      labels: [['<answer>1</answer>'], null, '1', 2],
    });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body).sort(), ['extra_logs', 'rewards', 'scores']);
    assert.deepEqual(r.body.rewards, [2, 1, 2, 0.5]);
    assert.deepEqual(r.body.scores, [1, 1, 1, 0]);
    const logs = r.body.extra_logs as Record<string, number[]>;
    for (const [key, values] of Object.entries(logs)) assert.equal(values.length, 4, key);
    assert.deepEqual(logs['format'], [1, 1, 1, 1]);
    assert.deepEqual(logs['result'], [1, 1, 1, 0]);
    assert.deepEqual(logs['consistency'], [1, -1, 1, 1]);
    assert.deepEqual(logs['inconsistent'], [0, 1, 0, 0]);
    assert.deepEqual(logs['referee_failed'], [0, 0, 0, 0]);
    assert.deepEqual(logs['response_header_missing'], [0, 0, 0, 1]);
  });

  it('answers on the released path /get_reward_mllm too', async () => {
    const r = await one(url, {
      protocol: 'legacy',
      queries: [chatml(consistent1)],
      prompts: [P1],
      path: '/get_reward_mllm',
    });
    assert.deepEqual([r.status, r.body], [200, { rewards: [2] }]);
  });

  it('counts the last-digit fallback and unparseable choices', async () => {
    const r = await one(url, {
      protocol: 'current',
      queries: [chatml('I think 1 is right'), chatml(noAnswer)],
      prompts: [P1, P1],
      labels: [null, null],
    });
    assert.deepEqual(r.body.extra_logs.choice_fallback, [1, 0]);
    assert.deepEqual(r.body.extra_logs.choice_unparseable, [0, 1]);
    assert.deepEqual(r.body.rewards, [1, 0]);
  });

  it('an unknown prompt is a 400 naming it', async () => {
    const r = await one(url, {
      protocol: 'legacy',
      queries: [chatml(consistent1)],
      prompts: ['Which dog is that?'],
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'body/prompts/0');
    assert.match(
      r.body.error,
      /body\/prompts\/0 is not in rl\.jsonl \(2 prompts\): "Which dog is that\?".*--nearest/,
    );
    assert.doesNotMatch(r.body.error, /r1-serve-/, 'the labels file is named without its folder');
  });

  it('serves /health and Prometheus /metrics', async () => {
    const health = (await (await fetch(`${url}/health`)).json()) as {
      status: string;
      labels: { source: string; prompts: number };
    };
    // The labels file by name only: /health is open to anyone and must not show the server's folders.
    assert.deepEqual([health.status, health.labels.source, health.labels.prompts], ['ok', 'rl.jsonl', 2]);
    const metrics = await fetch(`${url}/metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    const text = await metrics.text();
    assert.match(text, /r1_reward_requests_total\{route="\/get_reward",status="200"\} \d+/);
    assert.match(text, /r1_reward_samples_total\{part="all"\} \d+/);
    assert.match(text, /r1_reward_samples_total\{part="choice_unparseable"\} [1-9]/);
    assert.match(text, /r1_reward_process_resident_memory_bytes \d+/);
    assert.match(text, /r1_reward_referee_calls\{state="pending"\} 0/);
  });
});

describe('reward server: --nearest fallback', () => {
  it('uses the most similar prompt and counts it in extra_logs', async () => {
    const { app, url } = await serve({ nearest: true });
    try {
      const near = P2.replace('Question 2', 'Question 2 please');
      const r = await one(url, {
        protocol: 'current',
        queries: [chatml(consistent1)],
        prompts: [near],
        labels: [null],
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.extra_logs.label_nearest, [1]);
      assert.deepEqual(r.body.scores, [0]); // nearest is P2, whose label is 2
    } finally {
      await app.close();
    }
  });
});

describe('reward server: referee down, slow, garbage — always answered, C = 0 counted', () => {
  let endpoint: LoopbackReferee;
  before(async () => {
    endpoint = await startLoopbackReferee();
  });
  after(() => endpoint.close());
  const batch = {
    protocol: 'current',
    queries: [chatml(consistent1), chatml(consistent1), chatml(loose1)],
    prompts: [P1, P2, P1],
    labels: [null, null, null],
  };

  const withReferee = async (referee: RewardServerOptions['referee'], deadlineMs = 60_000) => {
    const { app, url } = await serve({ referee, deadlineMs });
    try {
      return await one(url, batch);
    } finally {
      await app.close();
    }
  };

  it('a referee answering "1" / "0" sets C = +1 / −1', async () => {
    endpoint.behaviour.reply = '1';
    const agree = await withReferee(createOpenAIReferee({ baseURL: endpoint.url }));
    assert.deepEqual(agree.body.rewards, [2, 0.5, 1.5]);
    endpoint.behaviour.reply = '0';
    const disagree = await withReferee(createOpenAIReferee({ baseURL: endpoint.url }));
    assert.deepEqual(disagree.body.rewards, [1, 0.5, 0.5]);
    assert.deepEqual(disagree.body.extra_logs.inconsistent, [1, 1, 1]);
  });

  it('down: 200 with C = 0 and every sample counted as a referee failure', async () => {
    const port = await closedPort();
    const r = await withReferee(createOpenAIReferee({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'm' }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.rewards, [1.5, 0.5, 1]);
    assert.deepEqual(r.body.extra_logs.consistency, [0, 0, 0]);
    assert.deepEqual(r.body.extra_logs.referee_failed, [1, 1, 1]);
    assert.deepEqual(r.body.extra_logs.referee_attempts, [3, 3, 3]);
  });

  it('garbage: C = 0 after 3 attempts each', async () => {
    endpoint.behaviour.reply = 'As an AI model I cannot say.';
    const r = await withReferee(createOpenAIReferee({ baseURL: endpoint.url }));
    endpoint.behaviour.reply = '1';
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.extra_logs.referee_failed, [1, 1, 1]);
    assert.deepEqual(r.body.extra_logs.referee_attempts, [3, 3, 3]);
    assert.deepEqual(r.body.rewards, [1.5, 0.5, 1]);
  });

  it('no referee answer by the request deadline: answered at the deadline with C = 0', async () => {
    endpoint.behaviour.hold = true;
    try {
      const r = await withReferee(createOpenAIReferee({ baseURL: endpoint.url, model: 'm' }), 300);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.rewards, [1.5, 0.5, 1]);
      assert.deepEqual(r.body.extra_logs.referee_failed, [1, 1, 1]);
    } finally {
      endpoint.behaviour.hold = false;
      endpoint.gate.release();
    }
  });
});

describe('reward server: bearer-token auth', () => {
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    ({ app, url } = await serve({ apiKey: 's3cret-token' }));
  });
  after(() => app.close());
  const body = { protocol: 'legacy', queries: [chatml(consistent1)], prompts: [P1] };

  it('refuses a missing or wrong token with 401, accepts the right one', async () => {
    const [missing, wrong, short, right] = await python(url, [
      body,
      { ...body, token: 's3cret-tokeX' },
      { ...body, token: 's' },
      { ...body, token: 's3cret-token' },
    ]);
    assert.deepEqual([missing!.status, wrong!.status, short!.status, right!.status], [401, 401, 401, 200]);
    assert.equal(missing!.body.field, 'headers/authorization');
    assert.deepEqual(right!.body, { rewards: [2] });
  });

  it('leaves /health open and protects /metrics', async () => {
    assert.equal((await fetch(`${url}/health`)).status, 200);
    assert.equal((await fetch(`${url}/metrics`)).status, 401);
    const authorised = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer s3cret-token' } });
    assert.equal(authorised.status, 200);
  });
});

describe('reward server: bad input gets a clear 4xx', () => {
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    ({ app, url } = await serve({ maxBatch: 8, bodyLimitBytes: 16 * 1024 }));
  });
  after(() => app.close());
  const q = chatml(consistent1);
  const json = (value: unknown) => raw(JSON.stringify(value));

  const cases: [string, Case, number, RegExp, string?][] = [
    ['malformed JSON', raw('{"query": ["a", '), 400, /malformed JSON body: .*JSON/],
    [
      'a body that is not UTF-8',
      raw(Buffer.from([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x7d])),
      400,
      /not valid UTF-8/,
    ],
    ['an empty body', raw(''), 400, /empty/i],
    ['a JSON body that is not an object', json([1, 2]), 400, /body must be object/, 'body'],
    ['a missing query', json({ prompts: [P1] }), 400, /must have required property 'query'/, 'body/query'],
    [
      'query of the wrong type',
      json({ query: q, prompts: [P1] }),
      400,
      /body\/query must be array/,
      'body/query',
    ],
    [
      'a query item of the wrong type',
      json({ query: [q, 7], prompts: [P1, P1] }),
      400,
      /body\/query\/1 must be string/,
      'body/query/1',
    ],
    [
      'a prompt of the wrong type',
      json({ query: [q], prompts: [{ text: P1 }] }),
      400,
      /body\/prompts\/0/,
      'body/prompts/0',
    ],
    [
      'a label of the wrong type',
      json({ query: [q], prompts: [P1], labels: [{ a: 1 }] }),
      400,
      /body\/labels\/0/,
      'body/labels/0',
    ],
    [
      'a label that is no choice',
      json({ query: [q], prompts: [P1], labels: ['3'] }),
      400,
      /body\/labels\/0 must be 1, 2/,
      'body/labels/0',
    ],
    [
      'a huge array',
      json({ query: Array(9).fill('x'), prompts: Array(9).fill(P1) }),
      400,
      /more than 8 items/,
      'body/query',
    ],
    [
      'prompts of another length',
      json({ query: [q, q], prompts: [P1] }),
      400,
      /body\/prompts has 1 items but body\/query has 2/,
      'body/prompts',
    ],
    [
      'no label and no prompt',
      json({ query: [q], labels: [null] }),
      400,
      /body\/query\/0 has no label/,
      'body/prompts/0',
    ],
    [
      'a body over the size limit',
      json({ query: ['x'.repeat(20_000)], prompts: [P1] }),
      413,
      /larger than 16384 bytes/,
    ],
    ['a body that is not JSON', raw('query=a', { content_type: 'text/plain' }), 415, /application\/json/],
    [
      'valid JSON with a "__proto__" key',
      raw(`{"query": [${JSON.stringify(q)}], "prompts": [${JSON.stringify(P1)}], "__proto__": {"x": 1}}`),
      400,
      /^the JSON body holds a "__proto__".*remove that key$/,
    ],
  ];
  // One client run for all cases (one Python start-up), then one test per case.
  let results: Result[] = [];
  before(async () => {
    results = await python(
      url,
      cases.map((c) => c[1]),
    );
  });
  cases.forEach(([what, , status, message, field], i) => {
    it(`${what} → ${status}`, () => {
      const r = results[i]!;
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(r.body.error, message);
      if (field) assert.equal(r.body.field, field);
    });
  });

  it('answers the empty remainder of a one-rollout batch with empty lists, in both protocols', async () => {
    const [legacy, current] = await python(url, [
      { protocol: 'legacy', queries: [], prompts: [] },
      { protocol: 'current', queries: [], prompts: [], labels: [] },
    ]);
    assert.deepEqual([legacy!.status, legacy!.body], [200, { rewards: [] }]);
    assert.equal(current!.status, 200);
    assert.deepEqual([current!.body.rewards, current!.body.scores], [[], []]);
    assert.deepEqual(current!.body.extra_logs.format, []);
  });

  it('still serves well-formed requests after all of that', async () => {
    const r = await one(url, { protocol: 'legacy', queries: [q], prompts: [P1] });
    assert.deepEqual([r.status, r.body], [200, { rewards: [2] }]);
  });
});

describe('reward server: graceful shutdown', () => {
  it('drains an in-flight request before closing, then refuses new connections', async () => {
    const endpoint = await startLoopbackReferee({ hold: true });
    const { app, url } = await serve({ referee: createOpenAIReferee({ baseURL: endpoint.url, model: 'm' }) });
    try {
      const inFlight = fetch(`${url}/get_reward`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: [chatml(consistent1)], prompts: [P1] }),
      });
      await endpoint.gate.whenHeld(1);
      const closed = app.close();
      endpoint.gate.release();
      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { rewards: [2] });
      await closed;
      await assert.rejects(fetch(`${url}/health`));
    } finally {
      await endpoint.close();
    }
  });
});

describe('r1-reward serve-reward (CLI)', () => {
  it('starts from the command line, serves the Python client, and exits cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-cli-'));
    const path = join(dir, 'rl.jsonl');
    writeFileSync(path, `${JSON.stringify({ message: P1, answer: ['<answer>1</answer>'] })}\n`);
    const server = await startCliServer(['serve-reward', '--labels', path, '--referee', 'rule'], {
      ...process.env,
      R1_REWARD_API_KEY: 'cli-key',
    });
    try {
      const [denied, ok] = await python(server.url, [
        { protocol: 'legacy', queries: [chatml(consistent1)], prompts: [P1] },
        { protocol: 'legacy', queries: [chatml(consistent1)], prompts: [P1], token: 'cli-key' },
      ]);
      assert.equal(denied!.status, 401);
      assert.deepEqual(ok!.body, { rewards: [2] });
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('refuses a bad --referee with a clear message', () => {
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve-reward', '--referee', 'gpt4'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /referee must be 'rule' or an http\(s\) URL/);
  });
});

describe('the verl reward function in docs/reward-server.md', () => {
  it('scores a batch through the server (batch and naive reward managers)', async () => {
    const doc = readFileSync(join(root, 'docs/reward-server.md'), 'utf8');
    const code = /```python\n(# r1_reward_verl\.py[\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(code, 'docs/reward-server.md has the r1_reward_verl.py block');
    const dir = mkdtempSync(join(tmpdir(), 'r1-verl-'));
    writeFileSync(join(dir, 'r1_reward_verl.py'), code);
    const { app, url } = await serve({ apiKey: 'verl-key' });
    try {
      const script = [
        'import json, sys',
        `sys.path.insert(0, ${JSON.stringify(dir)})`,
        'import r1_reward_verl as m',
        `batch = m.compute_score(data_sources=["r1", "r1"], solution_strs=${JSON.stringify([consistent1, inconsistent1])}, ground_truths=["<answer>1</answer>", "1"], extra_infos=[None, None])`,
        `one = m.compute_score_one(data_source="r1", solution_str=${JSON.stringify(consistent1)}, ground_truth="2")`,
        'print(json.dumps({"batch": batch, "one": one}))',
      ].join('\n');
      const out = await runPython(['-c', script], '', {
        ...process.env,
        R1_REWARD_URL: url,
        R1_REWARD_API_KEY: 'verl-key',
      });
      const result = JSON.parse(out) as { batch: { score: number; consistency: number }[]; one: number };
      assert.deepEqual(
        result.batch.map((r) => [r.score, r.consistency]),
        [
          [2, 1],
          [1, -1],
        ],
      );
      assert.equal(result.one, 0.5);
    } finally {
      await app.close();
    }
  });
});
