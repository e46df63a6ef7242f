// The policy reward server's inputs: --data lines and labels as items, image lists loaded once, the
// response after a known prompt, and the bounded judge cache.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { BoundedJudgementCache } from '../../src/serve/bounded-cache.js';
import { cutResponseAfterPrompt } from '../../src/serve/chat-template.js';
import { ItemFieldError, ItemImages, itemFromLabel, readPolicyItems } from '../../src/serve/policy-items.js';

const dir = mkdtempSync(join(tmpdir(), 'r1-policy-items-'));
const file = (name: string, lines: unknown[]) => {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return path;
};
const chat = JSON.stringify([
  { role: 'system', content: 'Be brief.' },
  {
    role: 'user',
    content: [
      { type: 'image', image: 'a.png' },
      { type: 'text', text: 'What colour?' },
    ],
  },
]);

describe('policy items', () => {
  it('reads --data lines: explicit fields, or the question and images of a JSON-chat prompt', async () => {
    const items = await readPolicyItems(
      file('ok.jsonl', [
        { message: chat, reference: 'red' },
        { message: 'plain prompt', question: 'Q', images: ['b.png'], id: 'x' },
        { message: 'no question' },
      ]),
      { imagesRoot: dir },
    );
    assert.deepEqual(items.get(chat), {
      id: `${join(dir, 'ok.jsonl')}:1`,
      question: 'What colour?',
      imageRefs: [join(dir, 'a.png')],
      reference: 'red',
    });
    assert.deepEqual(items.get('plain prompt'), { id: 'x', question: 'Q', imageRefs: [join(dir, 'b.png')] });
    assert.equal(items.get('no question')?.question, 'no question');
  });

  it('refuses bad --data files naming the line and the fix', async () => {
    const opts = { imagesRoot: dir };
    await assert.rejects(
      readPolicyItems(file('ref.jsonl', [{ message: 'p' }]), { ...opts, requireReference: true }),
      /ref\.jsonl:1: no 'reference'.*--reference-key.*--mode group/,
    );
    await assert.rejects(
      readPolicyItems(file('escape.jsonl', [{ message: 'p', images: ['../../etc/passwd'] }]), opts),
      /escape\.jsonl:1: images\/0 .* is not a path inside the images root/,
    );
    await assert.rejects(
      readPolicyItems(
        file('dup.jsonl', [
          { message: 'p', question: 'a' },
          { message: 'p', question: 'b' },
        ]),
        opts,
      ),
      /dup\.jsonl:2: this prompt is also on line 1 with a different item/,
    );
    await assert.rejects(
      readPolicyItems(file('key.jsonl', [{ prompt: 'p' }]), opts),
      /'message' must be a string.*--prompt-key/,
    );
    await assert.rejects(readPolicyItems(file('empty.jsonl', ['']), opts), /no prompts found/);
  });

  it('a label is an item (JSON object or string) overriding the --data item, or a reference answer', () => {
    const base = { id: 'b', question: 'Q', imageRefs: ['/x.png'], reference: 'old' };
    assert.equal(itemFromLabel(null, base, dir), base);
    assert.equal(itemFromLabel('', base, dir), base);
    assert.deepEqual(itemFromLabel('new', base, dir), { ...base, reference: 'new' });
    assert.deepEqual(itemFromLabel('{"reference": "json"}', base, dir), { ...base, reference: 'json' });
    assert.deepEqual(
      itemFromLabel({ question: 'Q2', images: ['data:image/png;base64,AA=='] }, undefined, dir),
      {
        id: '{"question":"Q2","images":["data:image/png;base64,AA=="]}',
        question: 'Q2',
        imageRefs: ['data:image/png;base64,AA=='],
      },
    );
    // Without a --data item, the question and images come from a JSON-chat prompt.
    assert.deepEqual(itemFromLabel({}, undefined, dir, chat)?.question, 'What colour?');
    const fails = (label: unknown, field: string) =>
      assert.throws(
        () => itemFromLabel(label, undefined, dir),
        (e: unknown) => e instanceof ItemFieldError && e.field === field,
      );
    fails('a reference with no item', '');
    fails('{"question": 3}', 'question');
    fails({}, 'question');
    fails([1], '');
  });

  it('loads an image list once and hands out the same list again', async () => {
    await sharp({ create: { width: 2, height: 2, channels: 3, background: 'blue' } })
      .png()
      .toFile(join(dir, 'blue.png'));
    const images = new ItemImages({ imagesRoot: dir });
    const spec = { id: 'i', question: 'q', imageRefs: [join(dir, 'blue.png')] };
    const first = await images.load(spec);
    const again = await images.load({ ...spec });
    assert.match(first.images[0]!, /^data:image\/png;base64,/);
    assert.equal(again.images, first.images);
    const inline = ['data:image/png;base64,AA=='];
    assert.equal((await images.load({ ...spec, imageRefs: inline })).images, inline);
    await assert.rejects(images.load({ ...spec, imageRefs: [join(dir, 'missing.png')] }), /missing\.png/);
  });

  it('cuts the response after the assistant header, else after a prompt the query starts with', () => {
    assert.equal(cutResponseAfterPrompt('Q: 2+2?\nA: 4</s>', 'Q: 2+2?\nA:').response, '4');
    assert.equal(
      cutResponseAfterPrompt('<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nfour<|im_end|>', 'Q')
        .response,
      'four',
    );
    assert.deepEqual(cutResponseAfterPrompt('just a response', 'another prompt'), {
      response: 'just a response',
      family: null,
    });
  });

  it('the judge cache keeps the most recently used entries within its bound', () => {
    const cache = new BoundedJudgementCache(2);
    cache.put('a', ['1']);
    cache.put('b', ['2']);
    cache.get('a');
    cache.put('c', ['3']);
    assert.deepEqual(
      [cache.get('a'), cache.get('b'), cache.get('c'), cache.size],
      [['1'], undefined, ['3'], 2],
    );
    cache.put('a', []);
    assert.deepEqual(cache.get('a'), ['1'], 'fewer samples never replace more');
  });
});
