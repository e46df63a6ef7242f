// The public API of r1-reward.
export * from './algo/index.js';
export type { BenchmarkName, ImageInput, PreferencePair } from './data/types.js';
// The libtorch tensor engine, as a namespace (`engine.tensor(...)`); the addon loads on first use.
export * as engine from './engine/index.js';
export { type LibtorchProbe, probeLibtorch } from './engine/probe.js';
// The vision-language reward model: tokenizer, transformer, sampling, scoring, checkpoints.
export * from './model/index.js';
export { PACKAGE_NAME, VERSION } from './version.js';
