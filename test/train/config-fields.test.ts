// The run configs' shared fields: a split's format is one of the formats the readers know, checked when
// the config is parsed (a ConfigError naming the field), not when the file is read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BENCHMARK_NAMES } from '../../src/data/benchmarks.js';
import { ConfigError } from '../../src/errors.js';
import { DataSourceSchema, HeldOutSchema, parseConfig } from '../../src/train/config-fields.js';
import { RlConfigSchema } from '../../src/train/rl-config.js';
import { SftConfigSchema } from '../../src/train/sft.js';

describe('run config data sources', () => {
  it('accepts R1-Reward JSONL and every benchmark, with the documented defaults', () => {
    for (const format of ['r1-reward', ...BENCHMARK_NAMES]) {
      assert.equal(parseConfig(DataSourceSchema, { file: 'x', format }, 'split').format, format);
    }
    assert.equal(parseConfig(DataSourceSchema, { file: 'x' }, 'split').format, 'r1-reward');
    assert.equal(parseConfig(HeldOutSchema, { file: 'x' }, 'held-out split').format, 'synthetic');
  });

  it('SFT also reads captions; RL does not', () => {
    const sft = parseConfig(
      SftConfigSchema,
      { runDir: 'r', data: { file: 'c', format: 'captions' } },
      'SFT config',
    );
    assert.equal(sft.data.format, 'captions');
    assert.throws(
      () =>
        parseConfig(
          RlConfigSchema,
          { runDir: 'r', init: 'i', data: { file: 'c', format: 'captions' } },
          'RL config',
        ),
      (error: unknown) =>
        error instanceof ConfigError &&
        /invalid RL config:[\s\S]*expected one of[\s\S]*at data\.format/.test(error.message),
    );
  });

  it('an unknown format is a ConfigError that names the field and the formats it accepts', () => {
    assert.throws(
      () => parseConfig(SftConfigSchema, { runDir: 'r', data: { file: 'd', format: 'jsonl' } }, 'SFT config'),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.code === 'invalid_config' &&
        /invalid SFT config:[\s\S]*"r1-reward"[\s\S]*"captions"[\s\S]*at data\.format/.test(error.message),
    );
  });
});
