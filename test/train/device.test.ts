// Devices: the model, the sampler and both trainers run where `device` says. A CUDA device libtorch
// does not have is refused with a clear message before anything is written; with a CUDA libtorch the
// GPU's forward pass, log-probs and greedy judgements match the CPU's, and SFT → RL (with the KL
// reference and a stale sampler) trains, checkpoints and resumes on the GPU.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Rng } from '../../src/algo/random.js';
import {
  checkDevice,
  cudaDeviceCount,
  cudaIsAvailable,
  type Device,
  noGrad,
} from '../../src/engine/index.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { generate } from '../../src/model/generate.js';
import { VisionLanguageModel } from '../../src/model/model.js';
import { sequenceLogProbsNoGrad } from '../../src/model/scoring.js';
import { trainRl } from '../../src/train/rl.js';
import { trainSft } from '../../src/train/sft.js';
import { engineSkipReason } from '../engine/fixtures.js';
import { config, maxAbsDiff, noiseImage, promptIds, tokenizer } from '../model/tiny-model.js';
import { writeTinyWorld } from './tiny-world.js';

const noEngine = engineSkipReason();
const noCuda =
  noEngine || (!cudaIsAvailable() && 'no CUDA device (cudaIsAvailable() is false): CPU-only libtorch');

const sftConfig = (dir: string, name: string, device: string) => ({
  runDir: join(dir, name),
  data: { file: join(dir, 'world/sft.jsonl') },
  heldOut: { file: join(dir, 'world/heldout.jsonl'), format: 'r1-reward' as const },
  preset: 'tiny' as const,
  vocabSize: 320,
  seed: 2,
  steps: 6,
  batchSize: 8,
  microBatchSize: 4,
  lr: 3e-3,
  evalEvery: 0,
  evalSize: 8,
  evalMaxNewTokens: 24,
  checkpointEvery: 3,
  device: device as 'cpu',
});

describe('device names and a device libtorch cannot use', { skip: noEngine }, () => {
  it('checkDevice accepts cpu, cuda and cuda:N and names what it accepts otherwise', () => {
    for (const name of ['cpu', 'cuda', 'cuda:0', 'cuda:12'])
      assert.equal(checkDevice(name, '--device'), name);
    for (const name of ['gpu', 'cuda:', 'cuda:x', 'CPU', 'mps'])
      assert.throws(
        () => checkDevice(name, '--device'),
        /--device: unknown device '.*': use 'cpu', 'cuda' or 'cuda:N'/,
      );
  });

  it('a trainer config with an unknown device is refused, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-device-'));
    try {
      await assert.rejects(
        trainSft(sftConfig(dir, 'sft', 'gpu')),
        /invalid SFT config:[\s\S]*unknown device: use 'cpu', 'cuda' or 'cuda:N'[\s\S]*at device/,
      );
      assert.equal(existsSync(join(dir, 'sft')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a CUDA device libtorch does not have is refused before a model or a run folder is made', async () => {
    // A CPU-only libtorch has no CUDA device at all; a CUDA one has no device past its last.
    const count = cudaIsAvailable() ? cudaDeviceCount() : 0;
    const missing: Device = count === 0 ? 'cuda' : `cuda:${count}`;
    const refused =
      count === 0
        ? /this libtorch sees no CUDA device .*LIBTORCH=.* or use device 'cpu'/
        : new RegExp(`libtorch sees ${count} CUDA device\\(s\\), cuda:0 … cuda:${count - 1}`);
    assert.throws(
      () => new VisionLanguageModel(config, { imageTokenId: tokenizer.id('image'), device: missing }),
      (error: Error) => error.message.startsWith(`device '${missing}': `) && refused.test(error.message),
    );
    const dir = mkdtempSync(join(tmpdir(), 'r1-device-'));
    try {
      writeTinyWorld(join(dir, 'world'), { sft: 8, rl: 4, heldOut: 4 });
      await assert.rejects(trainSft(sftConfig(dir, 'sft', missing)), refused);
      assert.equal(existsSync(join(dir, 'sft')), false, 'nothing written for a refused device');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CUDA: the model and both trainers on the GPU', { skip: noCuda }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'r1-cuda-'));
    writeTinyWorld(join(dir, 'world'), { sft: 48, rl: 16, heldOut: 8 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const both = () => {
    const options = { seed: 5, imageTokenId: tokenizer.id('image') };
    return {
      cpu: new VisionLanguageModel(config, options),
      gpu: new VisionLanguageModel(config, { ...options, device: 'cuda' }),
    };
  };
  const prompts = [
    promptIds('Question: which response is better?', 1),
    promptIds('Response 1: a red square', 1),
  ];
  const images = [[noiseImage(1)], [noiseImage(2, 0.3)]];

  it('the same seed gives the same weights, logits and log-probs on the GPU as on the CPU', () => {
    const { cpu, gpu } = both();
    assert.ok(gpu.parameters().every((p) => p.device.startsWith('cuda')));
    const logits = (m: VisionLanguageModel) =>
      noGrad(() => m.forward({ tokens: [prompts[0]!], images: [images[0]!] }).toTypedArray() as Float32Array);
    assert.ok(maxAbsDiff(logits(cpu), logits(gpu)) < 1e-4);
    const batch = {
      prompts,
      images,
      responses: [tokenizer.encode('<think>a red'), tokenizer.encode('<answer>1')],
    };
    const a = sequenceLogProbsNoGrad(cpu, batch).flat();
    const b = sequenceLogProbsNoGrad(gpu, batch).flat();
    assert.ok(maxAbsDiff(a, b) < 1e-4, `log-probs differ by ${maxAbsDiff(a, b)}`);
  });

  it('greedy decoding on the GPU (op by op, with a KV cache) picks the CPU fused step’s tokens', () => {
    const { cpu, gpu } = both();
    const run = (m: VisionLanguageModel) =>
      generate(
        m,
        tokenizer,
        prompts.map((tokens, i) => ({ tokens, images: images[i]! })),
        { maxNewTokens: 12, temperature: 0 },
        new Rng(1),
      ).map((samples) => samples[0]!.tokenIds);
    assert.deepEqual(run(gpu), run(cpu));
  });

  it('SFT then RL (KL reference, stale sampler) train on the GPU, checkpoint, load on the CPU and resume', async () => {
    const sft = await trainSft(sftConfig(dir, 'sft', 'cuda'));
    await trainSft(sftConfig(dir, 'sft-cpu', 'cpu'));
    // The same steps from the same weights: the losses agree to float round-off.
    const losses = (name: string) =>
      readFileSync(join(dir, name, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { loss: number }).loss);
    assert.ok(
      maxAbsDiff(losses('sft'), losses('sft-cpu')) < 1e-3,
      `${losses('sft')} vs ${losses('sft-cpu')}`,
    );
    assert.ok(Number.isFinite(sft.finalLoss));
    const rl = {
      runDir: join(dir, 'rl'),
      init: join(dir, 'sft'),
      data: { file: join(dir, 'world/rl.jsonl') },
      seed: 1,
      steps: 2,
      rolloutBatch: 4,
      microBatch: 2,
      ppoEpochs: 2,
      klCoef: 0.01,
      maxNewTokens: 16,
      evalEvery: 0,
      checkpointEvery: 1,
      mismatch: { staleUpdates: 1, oldLogProbNoise: 0.1, oldLogProbs: 'trainer' as const },
      device: 'cuda' as const,
    };
    await trainRl({ ...rl, steps: 1 });
    await trainRl({ ...rl, resume: true });
    const rows = readFileSync(join(dir, 'rl/metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(rows.length, 2);
    for (const row of rows) {
      const m = JSON.parse(row) as { loss: number; non_finite_losses: number };
      assert.ok(Number.isFinite(m.loss));
      assert.equal(m.non_finite_losses, 0);
    }
    const last = readdirSync(join(dir, 'rl/checkpoints')).sort().at(-1)!;
    const loaded = loadCheckpoint(join(dir, 'rl/checkpoints', last));
    assert.equal(loaded.model.device, 'cpu');
    assert.ok(
      loaded.model.parameters().every((p) => (p.toTypedArray() as Float32Array).every(Number.isFinite)),
    );
  });
});
