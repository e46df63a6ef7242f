import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cutResponse } from '../../src/serve/chat-template.js';
import { RewardInputError, resolveLabels } from '../../src/serve/reward-batch.js';
import { labelFromValue, readRewardLabels } from '../../src/serve/reward-labels.js';

const judgement = '<think>Response 1 is better.</think><answer>1</answer>';

describe('cutting the response out of a decoded query', () => {
  it('ChatML / Qwen2.5-VL: after the last assistant header, end-of-turn tokens removed', () => {
    const query = `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Which is better?<|im_end|>\n<|im_start|>assistant\n${judgement}<|im_end|><|endoftext|>`;
    assert.deepEqual(cutResponse(query), { response: judgement, family: 'chatml' });
  });

  it('Llama 3: after the assistant header, <|eot_id|> removed', () => {
    const query = `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhich is better?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n${judgement}<|eot_id|>`;
    assert.deepEqual(cutResponse(query), { response: judgement, family: 'llama3' });
  });

  it('plain "User: … Assistant: …", and a bare response (verl) taken whole', () => {
    assert.deepEqual(cutResponse(`User: Which is better?\n\nAssistant: ${judgement}</s>`), {
      response: judgement,
      family: 'plain',
    });
    assert.deepEqual(cutResponse(`  ${judgement}\n`), { response: judgement, family: null });
  });

  it('a forced family ignores other headers', () => {
    const query = `<|im_start|>assistant\n${judgement}<|im_end|>`;
    assert.equal(cutResponse(query, 'llama3').family, null);
  });
});

describe('labels', () => {
  it('reads every shape R1-Reward data and OpenRLHF send', () => {
    assert.deepEqual(labelFromValue(['<answer>2</answer>']), [2]);
    assert.deepEqual(labelFromValue('<answer> 1 </answer>'), [1]);
    assert.deepEqual(labelFromValue('2'), [2]);
    assert.deepEqual(labelFromValue(1), [1]);
    assert.deepEqual(labelFromValue(['1', 1]), [1]);
    for (const bad of ['3', '', [], {}, true, ['<answer>2</answer>', 'x']])
      assert.equal(labelFromValue(bad), null);
  });

  const dir = mkdtempSync(join(tmpdir(), 'r1-labels-'));
  const file = (name: string, lines: string[]) => {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  const row = (message: string, answer: unknown) => JSON.stringify({ message, question: 'q', answer });

  it('indexes prompts of an R1-Reward RL JSONL file', async () => {
    const index = await readRewardLabels(
      file('ok.jsonl', [row('p1', ['<answer>1</answer>']), '', row('p2', ['<answer>2</answer>'])]),
    );
    assert.equal(index.size, 2);
    assert.deepEqual(index.get('p2'), [2]);
    assert.equal(index.get('p3'), undefined);
  });

  it('refuses bad files with the line and a fix', async () => {
    await assert.rejects(
      readRewardLabels(file('json.jsonl', [row('p1', 1), '{oops'])),
      /json\.jsonl:2: not valid JSON/,
    );
    await assert.rejects(
      readRewardLabels(file('key.jsonl', [JSON.stringify({ prompt: 'p', answer: 1 })])),
      /key\.jsonl:1: 'message' must be a string.*--prompt-key/,
    );
    await assert.rejects(
      readRewardLabels(file('label.jsonl', [row('p', ['<answer>3</answer>'])])),
      /label\.jsonl:1: 'answer' must be/,
    );
    await assert.rejects(
      readRewardLabels(file('dup.jsonl', [row('p', 1), row('q', 2), row('p', 2)])),
      /dup\.jsonl:3: this prompt is also on line 1 with a different label/,
    );
    await assert.rejects(readRewardLabels(file('empty.jsonl', [''])), /no labelled prompts/);
    await assert.rejects(readRewardLabels(join(dir, 'missing.jsonl')), /ENOENT/);
  });

  it('finds the nearest known prompt by word-bigram similarity', async () => {
    const index = await readRewardLabels(
      file('near.jsonl', [
        row('what colour is the dog on the sofa', 1),
        row('how many apples are on the table', 2),
      ]),
    );
    const match = index.nearest('how many apples are on the kitchen table');
    assert.equal(match?.prompt, 'how many apples are on the table');
    assert.deepEqual(match?.label, [2]);
    assert.ok(match!.similarity > 0.5 && match!.similarity < 1);
  });

  it('resolves labels from the body first, then by prompt, and names what is missing', async () => {
    const index = await readRewardLabels(file('resolve.jsonl', [row('p1', 1)]));
    assert.deepEqual(
      resolveLabels({ query: ['a', 'b'], prompts: ['p1', 'p1'], labels: [null, '2'] }, index, false).map(
        (l) => l.source,
      ),
      ['file', 'body'],
    );
    const fails = (request: Parameters<typeof resolveLabels>[0], field: string) =>
      assert.throws(
        () => resolveLabels(request, index, false),
        (e: unknown) => e instanceof RewardInputError && e.field === field,
      );
    fails({ query: ['a'], prompts: ['p9'] }, 'body/prompts/0');
    fails({ query: ['a', 'b'], prompts: ['p1'] }, 'body/prompts');
    fails({ query: ['a'], labels: [null] }, 'body/prompts/0');
    fails({ query: ['a'], labels: ['yes'] }, 'body/labels/0');
  });
});
