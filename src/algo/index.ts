// The paper's math: pure functions on numbers, no tensors, no I/O.
export * from './baselines.js';
export * from './judgement.js';
export * from './reward.js';
export * from './stable-reinforce.js';
export { broadcastToTokens, type Matrix } from './validate.js';
export * from './voting.js';
