// The public API of r1-reward.
export * from './algo/index.js';
export * from './data/index.js';
// The libtorch tensor engine, as a namespace (`engine.tensor(...)`); the addon loads on first use.
export * as engine from './engine/index.js';
export { type LibtorchProbe, probeLibtorch } from './engine/probe.js';
// SFT, StableReinforce RL, the ablation and run reports (trainSft / trainRl take one typed config).
export * from './train/index.js';
export { PACKAGE_NAME, VERSION } from './version.js';
