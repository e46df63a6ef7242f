// The local judge's bounded repeat count: counts per key, forgets the least recently seen key first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RepeatCounter } from '../../src/judge/repeat-counter.js';

describe('RepeatCounter', () => {
  it('counts earlier sightings of each key', () => {
    const c = new RepeatCounter();
    assert.deepEqual(
      ['a', 'b', 'a', 'a', 'b'].map((k) => c.next(k)),
      [0, 0, 1, 2, 1],
    );
  });

  it('keeps at most `capacity` keys, forgetting the least recently seen one', () => {
    const c = new RepeatCounter(2);
    c.next('a');
    c.next('b');
    c.next('a'); // a is now the most recent; b the least
    c.next('c'); // over capacity: b is forgotten
    assert.equal(c.size, 2);
    assert.equal(c.next('a'), 2);
    assert.equal(c.next('b'), 0, 'a forgotten key counts from 0 again');
  });

  it('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new RepeatCounter(0), /positive integer/);
  });
});
