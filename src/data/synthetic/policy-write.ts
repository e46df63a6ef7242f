// Writes the policy task's training data as a captions file whose prompt is the question (the data
// path of the judge's SFT, src/data/captions.ts), built in a sibling temp folder and renamed:
//   images/train-NNNNNN.png   one image per training question
//   train.jsonl               {"id", "image", "prompt": question + "\n", "caption": answer}
//   manifest.json             the config and how many targets are flawed
// A share of the targets is the flawed response instead of the faithful one: a policy trained on
// them samples wrong answers about as often, so N samples of one question differ (docs/downstream.md).
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { Rng } from '../../algo/random.js';
import { type PolicyTaskConfig, policyProblem, validatePolicyTask } from './policy-task.js';
import { renderPng } from './render.js';

/** What {@link writePolicyData} writes: the task, how many training questions, image side, noise. */
export interface PolicyDataConfig {
  task: PolicyTaskConfig;
  trainSize: number;
  /** Image side in pixels (the judge's world: 48). */
  imageSize: number;
  /** Share of training targets that are the flawed response (0 = all faithful). */
  flawedShare: number;
}

/** The policy's prompt after the image: the question on its own line. */
export const policyPrompt = (question: string): string => `${question}\n`;

/** Whether training question `index` gets the flawed response as its target (seeded, per index). */
export const flawedTarget = (config: PolicyDataConfig, index: number): boolean =>
  Rng.stream(config.task.seed, 'policy-target', index).chance(config.flawedShare);

/** Writes the training data into `outDir` (which must not exist); returns the manifest. */
export async function writePolicyData(
  outDir: string,
  config: PolicyDataConfig,
): Promise<PolicyDataConfig & { flawedTargets: number }> {
  validatePolicyTask(config.task);
  if (!(config.flawedShare >= 0 && config.flawedShare <= 1))
    throw new RangeError(`policy data: flawedShare must be in [0, 1], got ${config.flawedShare}`);
  if (!Number.isInteger(config.trainSize) || config.trainSize < 1)
    throw new RangeError(`policy data: trainSize must be an integer ≥ 1, got ${config.trainSize}`);
  const target = resolve(outDir);
  const temp = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(join(temp, 'images'), { recursive: true });
  try {
    const out = createWriteStream(join(temp, 'train.jsonl'));
    let flawedTargets = 0;
    for (let i = 0; i < config.trainSize; i++) {
      const p = policyProblem(config.task, 'train', i);
      const image = `images/train-${String(i).padStart(6, '0')}.png`;
      await writeFile(join(temp, image), await renderPng(p.scene, config.imageSize));
      const flawed = flawedTarget(config, i);
      if (flawed) flawedTargets++;
      const record = {
        id: p.id,
        image,
        prompt: policyPrompt(p.question),
        caption: flawed ? p.flawedText : p.reference,
      };
      if (!out.write(`${JSON.stringify(record)}\n`))
        await new Promise<void>((r) => out.once('drain', () => r()));
    }
    out.end();
    await finished(out);
    const manifest = { ...config, flawedTargets };
    await writeFile(join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(temp, target);
    return manifest;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
