// StableReinforce on tensors (docs/spec.md §4): token rewards → returns → normalised advantages with the
// Advantage Filter → Pre-CLIP PPO loss, for a batch of two responses of up to four tokens, and the
// gradient of the loss with respect to the log-probs.
// Run: node --import tsx examples/stable-reinforce-loss.ts
import {
  cumulativeReturnsT,
  engine,
  normalizeAdvantagesT,
  policyLossT,
  tokenRewardsT,
} from '../src/index.js';

const mask = engine.tensor([
  [1, 1, 1, 1],
  [1, 1, 0, 0], // the second response is two tokens long
]);
const oldLogProbs = engine.tensor([
  [-0.5, -1.2, -0.3, -0.9],
  [-0.7, -2.0, 0, 0],
]);
// The current policy after an update; requiresGrad so the loss can be differentiated.
const logProbs = engine
  .tensor([
    [-0.4, -1.0, -0.35, -0.8],
    [-0.9, -1.6, 0, 0],
  ])
  .requiresGrad_(true);
const rewards = engine.tensor([2, 0.5]); // R1-Reward sequence rewards (docs/spec.md §3)

const tokenRewards = tokenRewardsT({ rewards, logProbs: oldLogProbs, mask });
const returns = cumulativeReturnsT({ tokenRewards, mask });
const { advantages, mean, std, filteredTokens } = normalizeAdvantagesT({ advantages: returns, mask });
const out = policyLossT({ logProbs, oldLogProbs, advantages, mask });
out.loss.backward();

console.log('returns', JSON.stringify(returns.toArray()));
console.log('advantages', JSON.stringify(advantages.toArray()), { mean, std, filteredTokens });
console.log('loss', out.loss.item(), { clipFraction: out.clipFraction, ratioMax: out.ratioMax });
console.log('d loss / d log-probs', JSON.stringify(logProbs.grad!.toArray()));
