// The policy's answers to held-out questions: N samples per question at a temperature, each checked
// against the scene. Every question draws from its own generator (seed, question index), so its
// samples do not depend on which questions shared a batch.

import { Rng } from '../../algo/random.js';
import { imageToFloatPixels } from '../../data/image-pipeline.js';
import { checkAnswer, type PolicyProblem, policyPrompt, renderPng } from '../../data/index.js';
import { generate } from '../../model/generate.js';
import { encodeImagePrompt } from '../../model/judge-format.js';
import type { Policy } from '../../train/run.js';
import type { CheckedAnswer } from './best-of-n.js';

/** How the policy samples. */
export interface PolicySampling {
  n: number;
  temperature: number;
  maxNewTokens: number;
  seed: number;
}

/** One question's samples, checked. */
export interface SampledQuestion {
  id: string;
  index: number;
  answers: CheckedAnswer[];
}

/** The policy's prompt for a question: the image (rendered at the model's size) and the question. */
export async function policyInput(
  policy: Policy,
  problem: PolicyProblem,
): Promise<{ tokens: number[]; images: Float32Array[] }> {
  const vision = policy.model.config.vision;
  if (!vision)
    throw new RangeError('the policy model has no vision encoder; use a preset with vision (policy)');
  const png = await renderPng(problem.scene, vision.imageSize);
  const pixels = await imageToFloatPixels(png, { width: vision.imageSize, height: vision.imageSize });
  return {
    tokens: encodeImagePrompt(policy.tokenizer, 1, vision, policyPrompt(problem.question)),
    images: [pixels.data],
  };
}

/** Samples `sampling.n` answers to each problem and checks each one. */
export async function sampleAnswers(
  policy: Policy,
  problems: readonly PolicyProblem[],
  sampling: PolicySampling,
): Promise<SampledQuestion[]> {
  const prompts = await Promise.all(problems.map((p) => policyInput(policy, p)));
  const rngs = problems.map((p) => new Rng(sampling.seed * 1_000_003 + p.index));
  const generations = generate(
    policy.model,
    policy.tokenizer,
    prompts,
    { n: sampling.n, temperature: sampling.temperature, maxNewTokens: sampling.maxNewTokens },
    rngs,
  );
  return problems.map((p, i) => ({
    id: p.id,
    index: p.index,
    answers: generations[i]!.map((g) => {
      const check = checkAnswer(p, g.text);
      return { text: g.text, correct: check.correct, parsed: check.parsed };
    }),
  }));
}
