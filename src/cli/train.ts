// `r1-reward train sft|rl`: wiring only. Every option maps to a field of SftConfig / RlConfig
// (src/train/sft.ts, src/train/rl-config.ts); `--config file.json` supplies any of them, flags win.
import { readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { HeldOutSchema } from '../train/config-fields.js';
import { type RlConfig, trainRl } from '../train/rl.js';
import { RlConfigSchema } from '../train/rl-config.js';
import { type SftConfig, SftConfigSchema, trainSft } from '../train/sft.js';
import {
  addThreadsOption,
  deprecatedAlias,
  describeDefault,
  numberOption,
  runAction,
  withExitCodes,
} from './options.js';

const num = (flag: string) => numberOption(flag);

function fileConfig(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidArgumentError(`--config ${path}: ${(error as Error).message}`);
  }
}

/** Runs a command; an error is printed as one `error: …` line (no stack) with exit code 1. */
export async function reportErrors(action: () => Promise<void>): Promise<void> {
  await runAction(action)();
}

/** Drops undefined values so they do not override the config file or the defaults. */
const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** A live progress line on stderr: step, reward or loss, held-out accuracy, tokens/s. */
function progressLine(label: string) {
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} | {quantity} | held-out {acc} | {tps} tok/s | ETA {eta_formatted}`,
    hideCursor: true,
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
  });
  let started = false;
  let acc = '–';
  return {
    update(step: number, total: number, quantity: string, tps: number, heldOut?: number) {
      if (heldOut !== undefined) acc = heldOut.toFixed(3);
      const payload = { quantity, acc, tps: tps.toFixed(0) };
      if (!started) {
        bar.start(total, step + 1, payload);
        started = true;
      } else bar.update(step + 1, payload);
    },
    stop: () => started && bar.stop(),
  };
}

function heldOutSource(file: string | undefined, format: string | undefined) {
  return file ? { heldOut: defined({ file, format }) } : {};
}

/** The options both trainers take (after each one's own). */
function withRunOptions(command: Command): Command {
  command
    .requiredOption('--out <dir>', 'run folder (run.json, metrics.jsonl, checkpoints/)')
    .option(
      '--held-out <file>',
      "held-out pairs judged greedily, e.g. the synthetic world's benchmark.jsonl (default: none)",
    )
    .option(
      '--held-out-format <name>',
      describeDefault("'synthetic' (benchmark shape) or 'r1-reward'", schemaDefault(HeldOutSchema, 'format')),
    )
    .option('--seed <n>', 'random seed', num('--seed'))
    .option(
      '--micro-batch <n>',
      'sequences per forward/backward (gradient accumulation)',
      num('--micro-batch'),
    )
    .option('--lr <x>', 'peak learning rate (warmup + cosine to 0.1×)', num('--lr'))
    .option('--eval-every <n>', 'held-out accuracy every n steps (0: only at the end)', num('--eval-every'))
    .option('--eval-size <n>', 'held-out pairs judged', num('--eval-size'))
    .option('--checkpoint-every <n>', 'checkpoint every n steps', num('--checkpoint-every'));
  return addThreadsOption(command)
    .option('--device <name>', "'cpu', 'cuda' or 'cuda:N' (needs a CUDA libtorch) (default: cpu)")
    .option('--config <file>', 'JSON with any config fields; flags win (default: none)')
    .option('--resume', 'continue the run in --out from its newest intact checkpoint');
}

/** A config field's default, as the trainer's schema fills it in (undefined when it has none). */
function schemaDefault(schema: z.ZodObject, key: string): unknown {
  const field = schema.shape[key] as z.ZodType | undefined;
  const parsed = field?.safeParse(undefined);
  return parsed?.success ? parsed.data : undefined;
}

/**
 * Shows each option's default in --help. The defaults live in the trainer's config schema (so a
 * --config file can override them and flags override the file), not in commander.
 */
function showDefaults(command: Command, schema: z.ZodObject, fields: Record<string, string>): void {
  for (const option of command.options) {
    if (option.hidden || !(option.required || option.optional) || /\(default: /.test(option.description))
      continue;
    const key = fields[option.attributeName()] ?? option.attributeName();
    const value = schemaDefault(schema, key);
    if (value !== undefined) option.description = describeDefault(option.description, value);
  }
}

/** The config fields of those options (the micro-batch field is named by each trainer). */
function runFields(o: Record<string, string | number | boolean | undefined>) {
  return {
    ...defined({
      runDir: o['out'],
      seed: o['seed'],
      lr: o['lr'],
      evalEvery: o['evalEvery'],
      evalSize: o['evalSize'],
      checkpointEvery: o['checkpointEvery'],
      threads: o['threads'],
      device: o['device'],
      resume: o['resume'] === true ? true : undefined,
    }),
    ...heldOutSource(o['heldOut'] as string | undefined, o['heldOutFormat'] as string | undefined),
  };
}

export function registerTrain(program: Command): void {
  const train = program
    .command('train')
    .description('SFT cold start and StableReinforce RL (docs/spec.md §4–5)');

  const sft = withRunOptions(train.command('sft'))
    .description('long-CoT SFT on teacher traces (R1-Reward JSONL with the analysis in `response`)')
    .requiredOption('--data <file>', "SFT data, e.g. the synthetic world's sft.jsonl")
    .option(
      '--data-format <name>',
      "'r1-reward' (judging traces) or 'captions' (image descriptions, e.g. the world's captions.jsonl: perception pretraining) (default: r1-reward)",
    )
    .option('--preset <name>', 'model preset for a fresh model: tiny, cells, cells-mix, small, reference-lm')
    .option(
      '--positions <kind>',
      "LM positions of a fresh model: 'learned' or 'rope' (rotary) (default: the preset's, learned)",
    )
    .option(
      '--checkpoint <dir>',
      'continue from this checkpoint, or a run folder for its newest checkpoint (default: none, a fresh model)',
    )
    .option('--tokenizer <file>', 'a trained tokenizer.json (default: train one on the data)')
    .option('--vocab-size <n>', 'vocabulary of the tokenizer trained on the data', num('--vocab-size'))
    .option('--epochs <n>', 'passes over the data', num('--epochs'))
    .option(
      '--steps <n>',
      'optimiser steps, overriding --epochs (default: epochs × items / batch size)',
      num('--steps'),
    )
    .option('--batch-size <n>', 'sequences per optimiser step', num('--batch-size'));
  deprecatedAlias(sft, '--init <dir>', '--checkpoint');
  showDefaults(sft, SftConfigSchema, { microBatch: 'microBatchSize', dataFormat: '' });
  withExitCodes(sft).action((o: Record<string, string | number | boolean | undefined>) =>
    reportErrors(async () => {
      const config = {
        ...fileConfig(o['config'] as string | undefined),
        ...defined({
          data: defined({ file: o['data'], format: o['dataFormat'] }),
          preset: o['preset'],
          positions: o['positions'],
          init: o['checkpoint'],
          tokenizer: o['tokenizer'],
          vocabSize: o['vocabSize'],
          epochs: o['epochs'],
          steps: o['steps'],
          batchSize: o['batchSize'],
          microBatchSize: o['microBatch'],
        }),
        ...runFields(o),
      } as SftConfig;
      const progress = progressLine('sft');
      const result = await trainSft(config, {
        onWarning: (message) => console.error(message),
        onStep: (m, total) =>
          progress.update(m.step, total, `loss ${m.loss.toFixed(4)}`, m.tokens_per_s, m.held_out_accuracy),
      });
      progress.stop();
      console.log(JSON.stringify(result, null, 2));
    }),
  );

  const rl = withRunOptions(train.command('rl'))
    .description('StableReinforce (default) or an ablation baseline on the RL split')
    .requiredOption('--data <file>', "RL split, e.g. the synthetic world's rl.jsonl")
    .requiredOption(
      '--checkpoint <dir>',
      'the SFT checkpoint to start from, or a run folder for its newest checkpoint',
    )
    .option('--algorithm <name>', 'stable-reinforce, reinforce++, ppo-clip, grpo or rloo')
    .option(
      '--preclip <bounds>',
      'Pre-CLIP bounds: both, upper or lower (default: both for stable-reinforce, none for the others)',
    )
    .option('--no-preclip', 'no Pre-CLIP (plain exp ratio)')
    .option(
      '--filter-window <window>',
      "Advantage Filter: 'paper' (|z| ≤ 3) or 'released' (default: paper for stable-reinforce and ppo-clip, none for the others)",
    )
    .option('--no-filter', 'no Advantage Filter')
    .option('--no-consistency', 'consistency reward C = 0 (no referee)')
    .option('--referee <rule|url>', "consistency referee: 'rule' or an OpenAI-compatible base URL")
    .option('--steps <n>', 'RL steps (rollouts)', num('--steps'))
    .option('--rollout-batch <n>', 'prompts per rollout', num('--rollout-batch'))
    .option(
      '--samples <n>',
      'samples per prompt (grpo / rloo: ≥ 2) (default: 1; 4 for grpo and rloo)',
      num('--samples'),
    )
    .option(
      '--train-batch <n>',
      'sequences per optimiser step (default: the whole rollout)',
      num('--train-batch'),
    )
    .option('--ppo-epochs <n>', 'passes over each rollout', num('--ppo-epochs'))
    .option('--kl-coef <x>', 'β of the KL token penalty (paper 0; released 1e-3)', num('--kl-coef'))
    .option('--temperature <x>', 'sampling temperature of the rollout', num('--temperature'))
    .option('--max-new-tokens <n>', 'longest sampled judgement', num('--max-new-tokens'))
    .option(
      '--stale-updates <n>',
      'mismatch knob: sample from the policy n updates old (default: 0)',
      num('--stale-updates'),
    )
    .option(
      '--old-logprob-noise <x>',
      'mismatch knob: N(0, x²) noise on the old log-probs (default: 0)',
      num('--old-logprob-noise'),
    )
    .option(
      '--old-logprobs <from>',
      "mismatch knob: old log-probs from the 'trainer' or the 'rollout' sampler (default: trainer)",
    )
    .option(
      '--sampler-precision <dtype>',
      "mismatch knob: sample with the weights rounded to 'bfloat16' or 'float16' (default: float32)",
    )
    .option('--resample-frozen <n>', 'resample a zero-spread batch up to n times', num('--resample-frozen'))
    .option('--both-orders', 'show every RL item in both response orders, a pair per rollout batch')
    .option(
      '--select-hard <k>',
      'RL data = the hard samples: judge each prompt k times with the starting policy first, keep those it misses',
      num('--select-hard'),
    );
  deprecatedAlias(rl, '--init <dir>', '--checkpoint');
  showDefaults(rl, RlConfigSchema, {
    samples: 'samplesPerPrompt',
    preclip: '',
    filter: '',
    staleUpdates: '',
    oldLogprobNoise: '',
    oldLogprobs: '',
    samplerPrecision: '',
  });
  withExitCodes(rl).action((o: Record<string, string | number | boolean | undefined>) =>
    reportErrors(async () => {
      const file = fileConfig(o['config'] as string | undefined);
      const mismatch = defined({
        ...(file['mismatch'] as Record<string, unknown> | undefined),
        staleUpdates: o['staleUpdates'],
        oldLogProbNoise: o['oldLogprobNoise'],
        oldLogProbs: o['oldLogprobs'],
        samplerPrecision: o['samplerPrecision'],
      });
      const config = {
        ...file,
        ...defined({
          data: { file: o['data'] },
          init: o['checkpoint'],
          algorithm: o['algorithm'],
          preClip: o['preclip'] === false ? 'none' : (o['preclip'] as string | undefined),
          filter: o['filter'] === false ? 'none' : (o['filterWindow'] as string | undefined),
          consistency: o['consistency'] === false ? false : undefined,
          referee: o['referee'],
          steps: o['steps'],
          rolloutBatch: o['rolloutBatch'],
          samplesPerPrompt: o['samples'],
          trainBatch: o['trainBatch'],
          microBatch: o['microBatch'],
          ppoEpochs: o['ppoEpochs'],
          klCoef: o['klCoef'],
          temperature: o['temperature'],
          maxNewTokens: o['maxNewTokens'],
          resampleFrozen: o['resampleFrozen'],
          selectHard: o['selectHard'],
          bothOrders: o['bothOrders'],
        }),
        ...(Object.keys(mismatch).length > 0 ? { mismatch } : {}),
        ...runFields(o),
      } as RlConfig;
      const progress = progressLine('rl');
      let lastSelectPrint = 0;
      const result = await trainRl(config, {
        onWarning: (message) => console.error(message),
        onSelectHard: (judged, total) => {
          if (performance.now() - lastSelectPrint < 10_000 && judged < total) return;
          lastSelectPrint = performance.now();
          console.error(`select-hard: ${judged}/${total} RL prompts judged by the starting policy`);
        },
        onStep: (m, total) =>
          progress.update(
            m.step,
            total,
            `reward ${m.reward_mean.toFixed(3)} len ${m.response_length.toFixed(0)}`,
            m.tokens_per_s,
            m.held_out_accuracy,
          ),
      });
      progress.stop();
      console.log(JSON.stringify(result, null, 2));
    }),
  );
}
