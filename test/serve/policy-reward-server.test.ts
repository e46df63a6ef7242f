// The policy reward server end to end in one process: a real fastify server, the real ranking
// library, an in-process judge backend that prefers the response containing GOOD and can hold its
// answers, and a clock the test drives (group timeouts and deadlines fire when the test says).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { post, prompt, query, rollout, type Served, serve, until } from './policy-fixtures.js';

describe('policy reward server: reference mode', () => {
  let s: Served;
  before(async () => {
    s = await serve({ mode: 'reference' });
  });
  after(() => s.app.close());

  it('judges each rollout against its reference in both orders: scores = win rate, rewards = win rate − 0.5', async () => {
    const r = await post(s.url, {
      query: [query(1, 'GOOD too'), query(1, 'plain'), query(2, 'GOOD answer')],
      prompts: [prompt(1), prompt(1), prompt(2)],
      labels: [null, null, null],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.scores, [0.5, 0, 1]);
    assert.deepEqual(r.body.rewards, [0, -0.5, 0.5]);
    assert.deepEqual(r.body.extra_logs.comparisons, [1, 1, 1]);
    assert.deepEqual(r.body.extra_logs.judge_calls, [2, 2, 2]);
    assert.deepEqual(r.body.extra_logs.judge_failed, [0, 0, 0]);
    // Item 1's image went to the judge as a data URL; item 2 has none.
    assert.match(s.backend.requests[0]!.images[0] ?? '', /^data:image\/png;base64,/);
    assert.equal(s.backend.requests.length, 6);
  });

  it('a retried rollout costs no new judge call (the cache)', async () => {
    const before = s.backend.requests.length;
    const r = await rollout(s.url, 2, 'GOOD answer');
    assert.deepEqual([r.body.scores, r.body.extra_logs.judge_calls], [[1], [0]]);
    assert.equal(s.backend.requests.length, before);
  });

  it('takes the item from a JSON label when the prompt is not in --data', async () => {
    const label = JSON.stringify({ question: 'Q', reference: 'a GOOD one' });
    const r = await post(s.url, { query: ['plain'], prompts: ['unknown prompt'], labels: [label] });
    assert.deepEqual([r.status, r.body.scores, r.body.extra_logs.item_from_label], [200, [0], [1]]);
  });

  it('a plain-string label is the reference answer of the prompt’s item', async () => {
    const r = await post(s.url, { query: [query(2, 'plain')], prompts: [prompt(2)], labels: ['GOOD ref'] });
    assert.deepEqual(r.body.scores, [0]);
  });

  it('judging past its deadline answers the neutral reward, counted as judge_failed', async () => {
    s.backend.hold();
    const pending = rollout(s.url, 3, 'something new');
    await s.backend.whenHeld(1);
    s.timers.advance(100_000);
    const r = await pending;
    s.backend.release();
    assert.deepEqual([r.body.rewards, r.body.scores, r.body.extra_logs.judge_failed], [[0], [0.5], [1]]);
  });
});

describe('policy reward server: group mode', () => {
  let s: Served;
  before(async () => {
    s = await serve({ maxOpenGroups: 2 });
  });
  after(() => s.app.close());

  it('holds rollouts until the group is complete, then ranks them together', async () => {
    const responses = ['GOOD a', 'plain c', 'GOOD b'];
    const first = responses.map((r) => rollout(s.url, 2, r));
    await until(s.url, (h) => h.groups.held === 3);
    assert.equal(s.backend.requests.length, 0, 'nothing is judged before the group is complete');
    const last = await rollout(s.url, 2, 'plain d');
    const all = [...(await Promise.all(first)), last];
    // Round robin in both orders: GOOD beats plain, equals tie → GOOD 2.5/3, plain 0.5/3.
    assert.deepEqual(
      all.map((a) => Math.round(a.body.scores[0] * 1000) / 1000),
      [0.833, 0.167, 0.833, 0.167],
    );
    assert.deepEqual(
      all.map((a) => Math.round(a.body.rewards[0] * 1000) / 1000),
      [0.333, -0.333, 0.333, -0.333],
    );
    for (const a of all) {
      assert.deepEqual(a.body.extra_logs.group_size, [4]);
      assert.deepEqual(a.body.extra_logs.group_complete, [1]);
    }
    assert.equal(s.backend.requests.length, 12, '6 pairs × 2 orders');
  });

  it('identical responses are separate members; the next group for a prompt starts afresh', async () => {
    const calls = s.backend.requests.length;
    const group = ['GOOD a', 'GOOD a', 'plain c', 'plain d'].map((r) => rollout(s.url, 2, r));
    const answers = await Promise.all(group);
    assert.deepEqual(
      answers.map((a) => a.body.extra_logs.group_size[0]),
      [4, 4, 4, 4],
    );
    // Only the pairs with the twin are new (GOOD a vs GOOD a, and its second copy's pairs are cached).
    assert.ok(s.backend.requests.length - calls < 12);
  });

  it('a group whose timeout passes is ranked with what arrived, and extra_logs says so', async () => {
    const pending = [rollout(s.url, 3, 'GOOD x'), rollout(s.url, 3, 'plain y')];
    await until(s.url, (h) => h.groups.held === 2);
    s.timers.advance(60_000);
    const [good, plain] = await Promise.all(pending);
    assert.deepEqual([good!.body.scores, plain!.body.scores], [[1], [0]]);
    assert.deepEqual([good!.body.rewards, plain!.body.rewards], [[0.5], [-0.5]]);
    assert.deepEqual(good!.body.extra_logs.group_size, [2]);
    assert.deepEqual(good!.body.extra_logs.group_timed_out, [1]);
    assert.deepEqual(good!.body.extra_logs.group_complete, [0]);
  });

  it('a held client that disconnects leaves its group, and its retry takes the place', async () => {
    const calls = s.backend.requests.length;
    const gone = new AbortController();
    const dropped = rollout(s.url, 1, 'GOOD m', gone.signal).catch((e: Error) => e);
    await until(s.url, (h) => h.groups.held === 1);
    gone.abort();
    assert.ok((await dropped) instanceof Error);
    await until(s.url, (h) => h.groups.held === 0);
    const answers = await Promise.all(
      ['GOOD m', 'plain n', 'plain o', 'GOOD p'].map((r) => rollout(s.url, 1, r)),
    );
    assert.deepEqual(
      answers.map((a) => a.body.extra_logs.group_size[0]),
      [4, 4, 4, 4],
    );
    assert.equal(s.backend.requests.length - calls, 12);
  });

  it('a client that disconnects while its group is ranked gets the result on its retry, with no new judge call', async () => {
    s.backend.hold();
    const gone = new AbortController();
    const dropped = rollout(s.url, 3, 'GOOD q', gone.signal).catch((e: Error) => e);
    const others = ['plain r', 'plain s', 'plain t'].map((r) => rollout(s.url, 3, r));
    await s.backend.whenHeld(1);
    gone.abort();
    await dropped;
    await until(s.url, (h) => h.groups.orphaned === 1);
    const calls = s.backend.requests.length;
    const retry = rollout(s.url, 3, 'GOOD q');
    s.backend.release();
    const answer = await retry;
    await Promise.all(others);
    assert.deepEqual([answer.body.scores, answer.body.extra_logs.group_size], [[1], [4]]);
    assert.equal(s.backend.requests.length, calls, 'the retry judged nothing');
  });

  it('an empty batch (OpenRLHF’s second URL) gets empty lists', async () => {
    const r = await post(s.url, { query: [], prompts: [], labels: [] });
    assert.deepEqual([r.status, r.body], [200, { rewards: [], scores: [], extra_logs: {} }]);
  });

  it('beyond --max-open-groups a new group is a 503 saying what to do', async () => {
    const held = [rollout(s.url, 1, 'GOOD u'), rollout(s.url, 2, 'GOOD v')];
    await until(s.url, (h) => h.groups.open === 2);
    const r = await rollout(s.url, 3, 'GOOD w');
    assert.equal(r.status, 503);
    assert.match(r.body.error, /2 groups are already waiting.*--max-open-groups/);
    s.timers.advance(60_000);
    await Promise.all(held);
  });

  it('bad input is a 400 naming the field', async () => {
    const cases: [unknown, RegExp, string][] = [
      [
        { query: ['x'], prompts: ['nope'] },
        /prompts\/0 is not in .*prompts\.jsonl \(3 prompts\)/,
        'body/prompts/0',
      ],
      [{ query: ['x', 'y'], prompts: [prompt(1)] }, /prompts has 1 items but query has 2/, 'body/prompts'],
      [
        { query: ['x'], labels: ['{"question": 1}'] },
        /labels\/0 question must be a string/,
        'body/labels/0/question',
      ],
      [{ query: ['x'], labels: ['{oops'] }, /labels\/0 is not valid JSON/, 'body/labels/0'],
      [
        { query: ['x'], labels: [{ question: 'q', images: ['../x.png'] }] },
        /not a path inside/,
        'body/labels/0/images/0',
      ],
      [{ query: [1] }, /must be string/, 'body/query/0'],
    ];
    for (const [body, message, field] of cases) {
      const r = await post(s.url, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error, message);
      assert.equal(r.body.field, field);
    }
  });

  it('shutting down answers every held rollout with its group as it stands', async () => {
    const own = await serve();
    const pending = rollout(own.url, 2, 'GOOD z');
    await until(own.url, (h) => h.groups.held === 1);
    await own.app.close();
    const r = await pending;
    assert.deepEqual(
      [r.status, r.body.extra_logs.group_flushed, r.body.extra_logs.group_size],
      [200, [1], [1]],
    );
    assert.deepEqual([r.body.scores, r.body.rewards], [[0.5], [0]]);
  });
});

describe('policy reward server: a format gate in front of the judge', () => {
  let s: Served;
  before(async () => {
    s = await serve({ formatPattern: /^(GOOD|plain) [a-z]$/ });
  });
  after(() => s.app.close());

  it('a response that fails the pattern scores 0 unjudged; the rest are ranked among themselves', async () => {
    const responses = ['GOOD a', 'GOOD a, trust me', 'plain c', 'plain d'];
    const all = await Promise.all(responses.map((r) => rollout(s.url, 3, r)));
    // Among the three that pass: GOOD a beats both plains (2/2), the plains tie (0.5/2); the
    // broken one would have won the judge's comparisons (it contains GOOD) and gets 0.
    assert.deepEqual(
      all.map((a) => a.body.scores[0]),
      [1, 0, 0.25, 0.25],
    );
    assert.deepEqual(
      all.map((a) => a.body.rewards[0]),
      [0.625, -0.375, -0.125, -0.125],
    );
    assert.deepEqual(
      all.map((a) => a.body.extra_logs.comparisons[0]),
      [2, 0, 2, 2],
    );
    assert.equal(s.backend.requests.length, 6, '3 pairs × 2 orders: the gated response is never judged');
    assert.ok(s.backend.requests.every((r) => !r.text.includes('trust me')));
  });
});
