// The public API of r1-reward.
export * from './algo/index.js';
export * from './data/index.js';
export { type LibtorchProbe, probeLibtorch } from './engine/probe.js';
export * from './eval/index.js';
export * from './judge/index.js';
export { PACKAGE_NAME, VERSION } from './version.js';
