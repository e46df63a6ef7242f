// ContentStream: SSE text goes out as tokens arrive, but never a piece that may turn out to be the
// start of a stop string, nor half a UTF-8 character.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContentStream, stopPrefixLength } from '../../src/serve/stream-content.js';

// One token per character: decode is String.fromCharCode; 0 is the end-of-sequence id.
const decode = (ids: number[]) => String.fromCharCode(...ids);
const ids = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** What went out after each token, with the finish reason given on the last one. */
function feed(text: string, stops: string[], finish: 'stop' | 'eos' | 'length' | null): string[] {
  const stream = new ContentStream(decode, stops, 0);
  const tokens = ids(text);
  return tokens.map((t, i) => stream.push(t, i === tokens.length - 1 ? finish : null));
}

describe('ContentStream', () => {
  it('holds back a tail that may start a stop string, and drops the stop string itself', () => {
    const out = feed('ok </answer>', ['</answer>'], 'stop');
    assert.deepEqual(out.slice(0, 3), ['o', 'k', ' ']);
    // "<", "</", … "</answer" stay unsent: each could be the stop string's beginning.
    assert.ok(out.slice(3).every((d) => d === ''));
    assert.equal(out.join(''), 'ok ');
  });

  it('sends the held text once the next token rules the stop string out', () => {
    const out = feed('a </an> b', ['</answer>'], 'length');
    assert.deepEqual(out.slice(0, 2), ['a', ' ']);
    assert.deepEqual(out.slice(2, 6), ['', '', '', '']); // "<", "</", "</a", "</an"
    assert.equal(out[6], '</an>'); // ">" does not continue "</answer>"
    assert.equal(out.join(''), 'a </an> b');
  });

  it('checks every stop string, and sends all that is left when the sample ends otherwise', () => {
    const out = feed('xy!', ['y!!', 'zz'], 'length');
    assert.deepEqual(out, ['x', '', 'y!']);
    const eos = new ContentStream(decode, ['!'], 0);
    assert.equal(eos.push(ids('a')[0]!, null), 'a');
    assert.equal(eos.push(0, 'eos'), '', 'the end-of-sequence token is not text');
    assert.throws(() => eos.push(1, null), /after the sample finished/);
  });

  it('waits for the rest of a UTF-8 character', () => {
    const utf8 = (bytes: number[]) => Buffer.from(bytes).toString('utf8');
    const stream = new ContentStream(utf8, [], -1);
    const e = [...Buffer.from('é')];
    assert.equal(stream.push(0x61, null), 'a');
    assert.equal(stream.push(e[0]!, null), '');
    assert.equal(stream.push(e[1]!, null), 'é');
  });

  it('stopPrefixLength finds the longest proper prefix at the end', () => {
    assert.equal(stopPrefixLength('abc</ans', ['</answer>', 'c<']), 5);
    assert.equal(stopPrefixLength('abc', ['</answer>']), 0);
    assert.equal(stopPrefixLength('ab', ['b']), 0, 'a whole stop string is not a prefix to hold');
  });
});
