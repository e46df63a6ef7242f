// The error table of docs/errors.md is the contract: every class it lists is exported by the public
// API, extends R1RewardError (and Error), and carries the documented code and its own class name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as api from '../src/index.js';

const DOC = new URL('../docs/errors.md', import.meta.url);

/** One of each error class, made the way the library makes it. */
const EXAMPLES: Record<string, () => api.R1RewardError> = {
  ConfigError: () => new api.ConfigError('invalid RL config: ✖ expected number → at lr'),
  DataFormatError: () => new api.DataFormatError('train.jsonl', 3, 'label', 'expected 1 or 2'),
  ImageError: () => new api.ImageError('item-1', '/images/a.png', 'file not found'),
  PathEscapeError: () => new api.PathEscapeError('/images', '../../etc/passwd'),
  EngineUnavailableError: () => new api.EngineUnavailableError('the addon is not built'),
  SafetensorsError: () => new api.SafetensorsError('model.safetensors', 'header too short'),
  CheckpointError: () => new api.CheckpointError('ckpt/', ['model.safetensors is missing']),
  ImageInputError: () => new api.ImageInputError('fetching http://x gave HTTP 404', 'messages[0].content[1]'),
  JobCancelledError: () => new api.JobCancelledError('the request was cancelled'),
  ChatInputError: () => new api.ChatInputError('a text part without text', 'messages[0].content[0]'),
  RewardInputError: () => new api.RewardInputError('sample 0 has no label', 'labels[0]'),
  ItemFieldError: () => new api.ItemFieldError('images/0 must be a string', 'images/0'),
  TooManyGroupsError: () => new api.TooManyGroupsError(64),
  MalformedReplyError: () => new api.MalformedReplyError('the reply holds no choices'),
  RemoteImageError: () => new api.RemoteImageError('the image could not be fetched', 'address'),
};

function documentedErrors(): { code: string; className: string }[] {
  const rows: { code: string; className: string }[] = [];
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    const cells = /^\|\s*`([a-z_]+)`\s*\|\s*`([A-Za-z]+)`\s*\|/.exec(line);
    if (cells?.[1] !== undefined && cells[2] !== undefined)
      rows.push({ code: cells[1], className: cells[2] });
  }
  return rows;
}

describe('errors', () => {
  const rows = documentedErrors();

  it('docs/errors.md lists every error class once, with a distinct code', () => {
    assert.deepEqual(rows.map((r) => r.className).sort(), Object.keys(EXAMPLES).sort());
    assert.equal(new Set(rows.map((r) => r.code)).size, rows.length);
  });

  for (const { code, className } of rows) {
    it(`${className}: code '${code}', name '${className}', an R1RewardError and an Error`, () => {
      const make = EXAMPLES[className];
      assert.ok(make, `docs/errors.md lists ${className}, which this test cannot construct`);
      const error = make();
      assert.ok(error instanceof api.R1RewardError);
      assert.ok(error instanceof Error);
      assert.equal(error.code, code);
      assert.equal(error.name, className);
      assert.equal(error.constructor.name, className);
      assert.match(String(error), new RegExp(`^${className}: `));
    });
  }

  it('a message stays as it was written', () => {
    assert.equal(
      new api.DataFormatError('train.jsonl', 3, 'label', 'expected 1 or 2').message,
      "train.jsonl:3: field 'label': expected 1 or 2",
    );
    assert.equal(
      new api.SafetensorsError('m.safetensors', 'header too short').message,
      'm.safetensors: not a valid safetensors file: header too short',
    );
  });
});
