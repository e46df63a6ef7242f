// Exact resume (a run from a trained SFT judge, stopped and resumed, logs the same metrics and ends with
// the same weights as an uninterrupted one, with every RNG stream, the optimizer and the stale policies
// restored), resampling frozen batches, the non-finite guard (a NaN skips the update and is counted;
// weights stay finite and unchanged), and a corrupted checkpoint refused on resume.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PRE_CLIP } from '../../src/algo/index.js';
import { Rng } from '../../src/algo/random.js';
import { tensor } from '../../src/engine/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint.js';
import { presetConfig } from '../../src/model/config.js';
import { sequenceLogProbsNoGrad } from '../../src/model/scoring.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { resolveCheckpoint } from '../../src/train/checkpoint.js';
import { type HardSelection, selectHardPrompts } from '../../src/train/hard-samples.js';
import { readJudgeItems, tokenizerCorpus, withBothOrders } from '../../src/train/judge-items.js';
import { ppoUpdate, type RlConfig, type RlStepMetrics, TIMING_FIELDS, trainRl } from '../../src/train/rl.js';
import { createPolicy, makeOptimizer } from '../../src/train/run.js';
import { trainSft } from '../../src/train/sft.js';
import { engineSkipReason } from '../engine/fixtures.js';
import { trainTinyJudge } from './tiny-world.js';

const skip = engineSkipReason();

const withoutTiming = (line: string) => {
  const row = JSON.parse(line) as Record<string, unknown>;
  for (const key of TIMING_FIELDS) delete row[key];
  return row;
};

describe('RL: exact resume, non-finite guard, corrupted checkpoint', { skip }, () => {
  let dir: string;
  let base: RlConfig;
  let sft: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'r1-resume-'));
    sft = (await trainTinyJudge(dir)).sft; // also writes the tiny world to dir/world
    const items = await readJudgeItems({ file: join(dir, 'world/sft.jsonl') });
    const tokenizer = Tokenizer.train(tokenizerCorpus(items), { vocabSize: 320 });
    const { model } = createPolicy(presetConfig('tiny', tokenizer.vocabSize), tokenizer, 7);
    saveCheckpoint(join(dir, 'init'), model, tokenizer);
    base = {
      runDir: '',
      init: join(dir, 'init'),
      data: { file: join(dir, 'world/rl.jsonl') },
      heldOut: { file: join(dir, 'world/heldout.jsonl'), format: 'r1-reward' },
      seed: 3,
      steps: 4,
      rolloutBatch: 4,
      trainBatch: 2,
      microBatch: 1,
      ppoEpochs: 2,
      lr: 1e-3,
      maxNewTokens: 8,
      evalEvery: 2,
      checkpointEvery: 2,
      // The mismatch knob on: stale policies, noise RNG and the update RNG must all be restored.
      mismatch: { staleUpdates: 2, oldLogProbNoise: 0.3, oldLogProbs: 'trainer' },
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // One RL step with selectHard 2, and the selection it recorded.
  const runSelectingHard = async (name: string, extra: Partial<RlConfig>) => {
    const runDir = join(dir, name);
    const result = await trainRl({
      ...base,
      runDir,
      steps: 1,
      evalEvery: 0,
      selectHard: 2,
      mismatch: undefined,
      ...extra,
    });
    const selection = JSON.parse(readFileSync(join(runDir, 'hard-prompts.json'), 'utf8')) as HardSelection;
    return { result, selection };
  };

  it('a run from an SFT judge, stopped after a checkpoint and resumed, logs the same metrics and ends with the same weights', async () => {
    const fromSft = { ...base, init: sft, maxNewTokens: 16 };
    await trainRl({ ...fromSft, runDir: join(dir, 'whole') });
    const crash = new Error('simulated crash');
    await assert.rejects(
      trainRl(
        { ...fromSft, runDir: join(dir, 'resumed') },
        {
          onStep: (m) => {
            if (m.step === 2) throw crash; // step 2 is logged, its checkpoint (step 4) never written
          },
        },
      ),
      crash,
    );
    await trainRl({ ...fromSft, runDir: join(dir, 'resumed'), resume: true });
    const read = (run: string) =>
      readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map(withoutTiming);
    const whole = read('whole');
    assert.equal(whole.length, 4);
    // The policy learns on both sides of the checkpoint, so a lost optimizer or RNG state would show.
    for (const steps of [whole.slice(0, 2), whole.slice(2)])
      assert.ok(
        steps.some((m) => (m['grad_norm'] as number) > 0 && (m['optimizer_steps'] as number) > 0),
        `no gradient in steps ${steps.map((m) => m['step'])}: ${steps.map((m) => m['grad_norm'])}`,
      );
    assert.deepEqual(read('resumed'), whole);
    const weights = (run: string) =>
      loadCheckpoint(join(dir, run, 'checkpoints/step-000004'))
        .model.parameters()
        .map((p) => p.toTypedArray());
    assert.deepEqual(weights('resumed'), weights('whole'));
    assert.notDeepEqual(
      weights('whole'),
      loadCheckpoint(resolveCheckpoint(sft))
        .model.parameters()
        .map((p) => p.toTypedArray()),
    );
  });

  it('a frozen batch (every reward equal) is counted and resampled up to resampleFrozen times', async () => {
    // An untrained policy never writes an answer in 8 tokens: every reward is 0, every batch frozen.
    const steps: RlStepMetrics[] = [];
    await trainRl(
      {
        ...base,
        mismatch: undefined,
        steps: 2,
        evalEvery: 0,
        checkpointEvery: 0,
        resampleFrozen: 2,
        runDir: join(dir, 'frozen'),
      },
      { onStep: (m) => steps.push(m) },
    );
    assert.equal(steps[0]!.frozen, true, 'the first batch is frozen');
    let frozenSoFar = 0;
    for (const m of steps) {
      if (m.frozen) frozenSoFar++;
      assert.equal(m.zero_spread_batches, frozenSoFar, `step ${m.step}`);
      // Resampled only when frozen, until the rewards spread or the budget of 2 is spent.
      if (!m.frozen) assert.equal(m.resampled, 0, `step ${m.step}`);
      else
        assert.ok(
          m.resampled === 2 || (m.resampled >= 1 && m.reward_std > 0),
          `step ${m.step}: ${m.resampled}`,
        );
      // No spread, no learning signal: nothing to step on.
      assert.equal(m.grad_norm === 0, m.reward_std === 0, `step ${m.step}: grad_norm ${m.grad_norm}`);
    }
  });

  it('the sampler-precision knob: bfloat16-rounded sampling weights move the first ratio off 1, float32 does not', async () => {
    const firstRatio = async (samplerPrecision: 'float32' | 'bfloat16') => {
      const steps: { ratio_max: number; ratio_mean: number }[] = [];
      await trainRl(
        {
          ...base,
          runDir: join(dir, `precision-${samplerPrecision}`),
          steps: 1,
          ppoEpochs: 1,
          trainBatch: 4, // the whole rollout: one optimiser step, every ratio measured before it
          evalEvery: 0,
          checkpointEvery: 0,
          mismatch: { oldLogProbs: 'rollout', samplerPrecision },
        },
        { onStep: (m) => steps.push(m) },
      );
      return steps[0]!;
    };
    const exact = await firstRatio('float32');
    const rounded = await firstRatio('bfloat16');
    assert.ok(exact.ratio_max - 1 < 1e-4, `float32 sampler: ratio_max ${exact.ratio_max}`);
    // Measured: 1 + 4.8e-7 (the fused decode step against the trainer's forward) and 1 + 8.7e-4.
    assert.ok(rounded.ratio_max - 1 > 1e-4, `bfloat16 sampler: ratio_max ${rounded.ratio_max}`);
  });

  it('SFT resumes exactly too', async () => {
    const sft = (runDir: string, resume = false) => ({
      runDir: join(dir, runDir),
      data: { file: join(dir, 'world/sft.jsonl') },
      tokenizer: join(dir, 'init/tokenizer.json'),
      steps: 6,
      batchSize: 4,
      microBatchSize: 2,
      lr: 3e-3,
      evalEvery: 0,
      checkpointEvery: 3,
      resume,
    });
    await trainSft(sft('sft-whole'));
    const crash = new Error('simulated crash');
    await assert.rejects(
      trainSft(sft('sft-resumed'), {
        onStep: (m) => {
          if (m.step === 4) throw crash;
        },
      }),
      crash,
    );
    await trainSft(sft('sft-resumed', true));
    const read = (run: string) =>
      readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const { tokens_per_s: _, time: __, ...rest } = JSON.parse(line) as Record<string, unknown>;
          return rest;
        });
    assert.equal(read('sft-whole').length, 6);
    assert.deepEqual(read('sft-resumed'), read('sft-whole'));
  });

  it('refuses to resume from a corrupted checkpoint, naming the file', async () => {
    const runDir = join(dir, 'corrupt');
    await trainRl({ ...base, runDir, steps: 2 });
    const weights = join(runDir, 'checkpoints/step-000002/model.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0x55;
    writeFileSync(weights, bytes);
    await assert.rejects(
      trainRl({ ...base, runDir, steps: 4, resume: true }),
      /model\.safetensors: SHA-256 does not match/,
    );
  });

  it('a NaN in the loss skips the update, is counted, and leaves the weights finite and unchanged', () => {
    const tokenizer = Tokenizer.train(['Response 1 is better <think></think><answer>1</answer>'], {
      vocabSize: 280,
    });
    const { model } = createPolicy(presetConfig('tiny', tokenizer.vocabSize), tokenizer, 1);
    const optimizer = makeOptimizer(model.parameters(), 0);
    const before = model.parameters().map((p) => p.toTypedArray().slice());
    const prompts = [tokenizer.encode('Response 1'), tokenizer.encode('Response 2 is')];
    const responses = [tokenizer.encode('<think>a</think>'), tokenizer.encode('<answer>1</answer>')];
    const width = Math.max(...responses.map((r) => r.length));
    const mask = tensor(
      responses.map((r) => Array.from({ length: width }, (_, j) => (j < r.length ? 1 : 0))),
      { dtype: 'float32' },
    );
    const old = responses.map(() => Array.from({ length: width }, () => -1));
    old[1]![0] = Number.NaN; // a valid token's old log-prob is NaN (e.g. a broken sampler)
    const stats = ppoUpdate(
      model,
      optimizer,
      {
        batch: { prompts, responses },
        mask,
        oldLogProbs: tensor(old, { dtype: 'float32' }),
        advantages: tensor(
          responses.map(() => new Array<number>(width).fill(1)),
          { dtype: 'float32' },
        ),
      },
      {
        epochs: 1,
        trainBatch: 2,
        microBatch: 1,
        clipEps: 0.2,
        preClip: false,
        lr: 0.1,
        gradClip: 1,
        rng: new Rng(0),
      },
    );
    assert.equal(stats.nonFiniteLosses, 1);
    assert.equal(stats.skippedUpdates, 1);
    assert.equal(stats.optimizerSteps, 0);
    assert.equal(optimizer.stepCount, 0);
    model.parameters().forEach((p, i) => {
      const now = p.toTypedArray();
      assert.ok(now.every((x) => Number.isFinite(x)));
      assert.deepEqual(now, before[i]);
    });
    assert.ok(
      model.parameters().every((p) => p.grad === null),
      'the poisoned gradients were dropped',
    );
  });

  it('one update raises the log-probs of positive-advantage judgements and lowers the negative ones', () => {
    const tokenizer = Tokenizer.train(['Response 1 is better <think>red blue</think><answer>1</answer>'], {
      vocabSize: 280,
    });
    const { model } = createPolicy(presetConfig('tiny', tokenizer.vocabSize), tokenizer, 2);
    const optimizer = makeOptimizer(model.parameters(), 0);
    const prompt = tokenizer.encode('Response 1 is');
    const responses = ['<think>red</think><answer>1</answer>', '<think>blue</think><answer>2</answer>'].map(
      (r) => tokenizer.encode(r),
    );
    const batch = { prompts: [prompt, prompt], responses };
    const width = Math.max(...responses.map((r) => r.length));
    const pad = (rows: number[][]) => rows.map((r) => [...r, ...new Array<number>(width - r.length).fill(0)]);
    const before = sequenceLogProbsNoGrad(model, batch);
    const sign = [1, -1];
    const update = () =>
      ppoUpdate(
        model,
        optimizer,
        {
          batch,
          mask: tensor(pad(responses.map((r) => r.map(() => 1))), { dtype: 'float32' }),
          oldLogProbs: tensor(pad(before), { dtype: 'float32' }),
          advantages: tensor(pad(responses.map((r, i) => r.map(() => sign[i]!))), { dtype: 'float32' }),
        },
        {
          epochs: 1,
          trainBatch: 2,
          microBatch: 2,
          clipEps: 0.2,
          preClip: PRE_CLIP,
          lr: 1e-3,
          gradClip: 1,
          rng: new Rng(0),
        },
      );
    const stats = update();
    assert.equal(stats.optimizerSteps, 1);
    const after = sequenceLogProbsNoGrad(model, batch);
    const total = (r: number[]) => r.reduce((a, b) => a + b, 0);
    const delta = after.map((r, i) => total(r) - total(before[i]!));
    assert.ok(delta[0]! > 0 && delta[1]! < 0, `Δ log p = [${delta}]`);
  });

  it('selectHard keeps the prompts the starting policy misses, records them, and refuses when none is hard', async () => {
    const { result, selection } = await runSelectingHard('hard', {});
    const rates = Object.values(selection.passRates);
    assert.equal(selection.samples, 2);
    assert.equal(rates.length, selection.total);
    assert.ok(rates.every((r) => r === 0 || r === 0.5 || r === 1));
    assert.equal(selection.kept, rates.filter((r) => r < 1).length);
    assert.equal(result.prompts, selection.kept);
    // Every prompt solved: nothing to learn from, said plainly (the saved selection is read, no model needed).
    const file = join(dir, 'solved.json');
    const ids = Object.keys(selection.passRates);
    writeFileSync(
      file,
      JSON.stringify({ ...selection, passRates: Object.fromEntries(ids.map((id) => [id, 1])) }),
    );
    const prompts = ids.map((id) => ({ id, label: 1 as const, promptTokens: [], images: [] }));
    await assert.rejects(
      selectHardPrompts(undefined as never, undefined as never, prompts, {
        samples: 2,
        temperature: 1,
        maxNewTokens: 8,
        seed: 0,
        file,
      }),
      /none is hard; use more RL data, more samples, or selectHard 0/,
    );
  });

  it('bothOrders shows each item in both orders, selects hard pairs whole, and needs an even rollout batch', async () => {
    const {
      result,
      selection: { passRates, kept, total },
    } = await runSelectingHard('both', { bothOrders: true });
    const ids = Object.keys(passRates);
    assert.equal(total, 32); // 16 RL items, each in both orders
    assert.equal(ids.filter((id) => id.endsWith('#swapped')).length, 16);
    assert.equal(kept % 2, 0);
    assert.equal(result.prompts, kept);
    await assert.rejects(
      trainRl({ ...base, runDir: join(dir, 'odd'), rolloutBatch: 3, bothOrders: true, mismatch: undefined }),
      /bothOrders draws whole pairs: rolloutBatch must be even, got 3/,
    );
  });
});

describe('both response orders', () => {
  it('each item is followed by itself with the responses swapped and the label flipped, without its trace', () => {
    const item = {
      id: 'a',
      question: 'q',
      response1: 'x',
      response2: 'y',
      label: 1 as const,
      images: [],
      trace: 't',
    };
    const [same, swapped] = withBothOrders([item]);
    assert.deepEqual(same, item);
    assert.deepEqual(swapped, {
      id: 'a#swapped',
      question: 'q',
      response1: 'y',
      response2: 'x',
      label: 2,
      images: [],
    });
  });
});
