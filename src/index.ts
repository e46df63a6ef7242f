// The public API of r1-reward.
export * from './algo/index.js';
export * from './data/index.js';
// The libtorch tensor engine, as a namespace (`engine.tensor(...)`); the addon loads on first use.
export * as engine from './engine/index.js';
export { type LibtorchProbe, probeLibtorch } from './engine/probe.js';
// The vision-language reward model: tokenizer, transformer, sampling, scoring, checkpoints.
export * from './model/index.js';
// Both data (the synthetic world's generator) and model (sampling) export an `Rng`; the public one is
// the model's saveable sfc32 stream.
export { Rng } from './model/index.js';
// SFT, StableReinforce RL, the ablation and run reports (trainSft / trainRl take one typed config).
export * from './train/index.js';
export { PACKAGE_NAME, VERSION } from './version.js';
