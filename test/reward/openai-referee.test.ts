// The openai referee against a real loopback HTTP server that plays the referee (never a mock client).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createOpenAIReferee,
  createReferee,
  judgeBatch,
  refereeAnswerText,
  refereeInputFromJudgement,
  refereeLines,
  releasedRefereePrompt,
} from '../../src/reward/referees/index.js';
import { closedPort, type LoopbackReferee, startLoopbackReferee } from './loopback-referee.js';

const judgement =
  '<think>Line one about the image.\nResponse 1 misses the dog.\nResponse 2 names it.\nSo response 2 is better</think><answer>1</answer>';
const input = refereeInputFromJudgement(judgement);

describe('released referee prompt', () => {
  it('sees the last 3 lines joined by ";" and the answer as "response N is better"', () => {
    assert.equal(
      refereeLines(input.analysis),
      'Response 1 misses the dog.;Response 2 names it.;So response 2 is better</think>',
    );
    assert.equal(refereeAnswerText(input), 'response 1 is better');
    assert.equal(
      refereeAnswerText(refereeInputFromJudgement('<think>x</think><answer>2</answer>')),
      'response 2 is better',
    );
    assert.equal(
      refereeAnswerText(refereeInputFromJudgement('<think>x</think><answer>3</answer>')),
      'two response are the same',
    );
    assert.equal(
      refereeAnswerText(refereeInputFromJudgement('<think>x</think><answer>both</answer>')),
      'both',
    );
    assert.equal(refereeAnswerText(refereeInputFromJudgement('no tags, pick 2')), 'no tags, pick 2');
  });

  it('keeps the released bytes: leading newline, literal backslash-n, trailing "Output: "', () => {
    const prompt = releasedRefereePrompt('L1;L2', 'response 1 is better');
    assert.ok(
      prompt.startsWith("\nYou are a strict judge with one task: Determine if the Model's Response  exactly"),
    );
    assert.ok(prompt.includes("######### Model's Response #########\\n L1;L2 \\n\\n\n"));
    assert.ok(prompt.includes("######### Model's Answer#########\\n response 1 is better\\n\\n\n"));
    assert.ok(prompt.includes('   - Approving both answers equally\n\n\n#########'));
    assert.ok(prompt.endsWith('Output: \n'));
  });
});

describe('openai referee on a loopback endpoint', () => {
  let endpoint: LoopbackReferee;
  before(async () => {
    endpoint = await startLoopbackReferee();
  });
  after(() => endpoint.close());
  const reset = (behaviour: Partial<LoopbackReferee['behaviour']>) => {
    endpoint.gate.release(); // what an earlier test left held (its client gave up on it)
    Object.assign(endpoint.behaviour, { reply: '1', hold: false, delayMs: 0, status: 200 }, behaviour);
    endpoint.received.length = 0;
    endpoint.maxInFlight = 0;
  };

  it('"1" → +1 in one attempt, with the released request (listed model, temperature 0.1, 4096 tokens)', async () => {
    reset({ reply: '1' });
    const verdict = await createOpenAIReferee({ baseURL: endpoint.url }).judge(input);
    assert.equal(verdict.consistency, 1);
    assert.equal(verdict.attempts, 1);
    assert.equal(verdict.failure, null);
    const sent = endpoint.received[0]!;
    assert.equal(sent.model, 'loopback-referee');
    assert.equal(sent.temperature, 0.1);
    assert.equal(sent.max_tokens, 4096);
    const content = sent.messages[0]!.content as { type: string; text: string }[];
    assert.equal(
      content[0]!.text,
      releasedRefereePrompt(refereeLines(input.analysis), 'response 1 is better'),
    );
  });

  it('"0" → −1; a chatty reply is mapped like the released code', async () => {
    reset({ reply: '0' });
    const referee = createOpenAIReferee({ baseURL: endpoint.url, model: 'named-model' });
    assert.equal((await referee.judge(input)).consistency, -1);
    assert.equal(endpoint.received[0]!.model, 'named-model');
    reset({ reply: 'Output: 1 (they match)' });
    assert.equal((await referee.judge(input)).consistency, 1);
  });

  it('garbage three times → C = 0 after 3 attempts, counted as garbage', async () => {
    reset({ reply: 'I cannot tell.' });
    const verdict = await createOpenAIReferee({ baseURL: endpoint.url }).judge(input);
    assert.deepEqual([verdict.consistency, verdict.attempts, verdict.failure], [0, 3, 'garbage']);
    assert.equal(verdict.reply, 'I cannot tell.');
    assert.equal(endpoint.received.length, 3);
  });

  it('HTTP 500 → retried, then C = 0 with failure "http"; recovers when the endpoint does', async () => {
    reset({ status: 500 });
    const referee = createOpenAIReferee({ baseURL: endpoint.url, model: 'm' });
    const failed = await referee.judge(input);
    assert.deepEqual([failed.consistency, failed.attempts, failed.failure], [0, 3, 'http']);
    let calls = 0;
    reset({
      reply: () => {
        calls++;
        return calls === 1 ? 'unsure' : '1';
      },
    });
    const recovered = await referee.judge(input);
    assert.deepEqual([recovered.consistency, recovered.attempts, recovered.failure], [1, 2, null]);
  });

  it('no answer within the per-attempt timeout → C = 0 with failure "timeout"', async () => {
    reset({ hold: true });
    const verdict = await createOpenAIReferee({
      baseURL: endpoint.url,
      model: 'm',
      timeoutMs: 100,
      maxAttempts: 2,
    }).judge(input);
    assert.deepEqual([verdict.consistency, verdict.attempts, verdict.failure], [0, 2, 'timeout']);
  });

  it("the caller's deadline ends waiting calls with failure 'deadline', never a throw", async () => {
    reset({ hold: true });
    const referee = createOpenAIReferee({ baseURL: endpoint.url, model: 'm', concurrency: 1 });
    const deadline = AbortSignal.timeout(100);
    const verdicts = await judgeBatch(referee, [input, input, input], deadline);
    assert.deepEqual(
      verdicts.map((v) => [v.consistency, v.failure]),
      [
        [0, 'deadline'],
        [0, 'deadline'],
        [0, 'deadline'],
      ],
    );
    // The two queued calls never reached the endpoint.
    assert.deepEqual(
      verdicts.map((v) => v.attempts),
      [1, 0, 0],
    );
  });

  it('bounds the calls in flight across a whole batch', async () => {
    reset({ hold: true });
    const referee = createOpenAIReferee({ baseURL: endpoint.url, model: 'm', concurrency: 3 });
    const batch = judgeBatch(
      referee,
      Array.from({ length: 12 }, () => input),
    );
    await endpoint.gate.whenHeld(3);
    assert.deepEqual(referee.load?.(), { active: 3, pending: 9 });
    endpoint.behaviour.hold = false;
    endpoint.gate.release();
    const verdicts = await batch;
    assert.ok(verdicts.every((v) => v.consistency === 1));
    assert.equal(endpoint.received.length, 12);
    assert.equal(endpoint.maxInFlight, 3);
    assert.deepEqual(referee.load?.(), { active: 0, pending: 0 });
  });

  it('a referee that is down → C = 0 with failure "network" after 3 attempts', async () => {
    const port = await closedPort();
    const verdict = await createReferee(`http://127.0.0.1:${port}/v1`, { model: 'm' }).judge(input);
    assert.deepEqual([verdict.consistency, verdict.attempts, verdict.failure], [0, 3, 'network']);
  });

  it('a model list that fails is one failed attempt, looked up again next time', async () => {
    const port = await closedPort();
    const verdict = await createOpenAIReferee({
      baseURL: `http://127.0.0.1:${port}/v1`,
      maxAttempts: 1,
    }).judge(input);
    assert.deepEqual([verdict.consistency, verdict.failure], [0, 'network']);
  });

  it('rejects a referee spec that is neither "rule" nor an http(s) URL', () => {
    assert.throws(() => createReferee('gpt-4o'), /'rule' or an http\(s\) URL/);
    assert.throws(() => createReferee('ftp://x/v1'), /http or https/);
  });
});
