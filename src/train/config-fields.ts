// The pieces both trainers' run configs share: where a split comes from, the optimiser and runtime
// fields, and the parse that turns zod's issues into one readable error.

import { z } from 'zod';
import { DEVICE_PATTERN, type Device } from '../engine/dtype.js';
import { ConfigError } from '../errors.js';

/** A split in a run config: R1-Reward JSONL by default. */
export const DataSourceSchema = z.object({
  file: z.string().min(1),
  format: z.string().default('r1-reward'),
  limit: z.number().int().positive().optional(),
  imagesRoot: z.string().optional(),
});

/** The optimiser and schedule fields both trainers share (docs/spec.md §4.6); `lr` is each trainer's own. */
export const OPTIMISER_FIELDS = {
  warmupRatio: z.number().min(0).max(1).default(0.03),
  minLrRatio: z.number().min(0).max(1).default(0.1),
  weightDecay: z.number().min(0).default(0),
  gradClip: z.number().positive().default(1),
};

/**
 * Where both trainers run (model, rollouts, update) and the libtorch threads: 'cpu' (default),
 * 'cuda[:N]' with a CUDA libtorch. Recorded in run.json with the rest of the config.
 */
export const RUNTIME_FIELDS = {
  device: z
    .string()
    .regex(DEVICE_PATTERN, "unknown device: use 'cpu', 'cuda' or 'cuda:N'")
    .default('cpu')
    .transform((name) => name as Device),
  threads: z.number().int().positive().optional(),
};

/** Parses a run config, turning zod's issues into one {@link ConfigError} that names each field. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`invalid ${what}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The held-out split: the synthetic world's benchmark file by default. */
export const HeldOutSchema = DataSourceSchema.extend({ format: z.string().default('synthetic') });
