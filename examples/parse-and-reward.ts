// Parse a judgement, ask the rule referee whether its analysis supports its choice, and compute the
// R1-Reward reward R × (1 + 0.5 × C) + 0.5 × F (docs/spec.md §3).
// Run: node --import tsx examples/parse-and-reward.ts
import { parseJudgement, r1Reward, ruleConsistency } from '../src/index.js';

const label = 2; // the human-preferred response
const judgements = [
  '<think>Response 1 says the circle is red, but it is blue. Response 2 is better.</think><answer>2</answer>',
  // Inconsistent: the analysis favours response 2, the answer says 1.
  '<think>Response 1 miscounts the squares, so response 2 is better.</think><answer>1</answer>',
  'I would pick response 2', // no tags: format 0, the choice by the released last-digit fallback
];

for (const text of judgements) {
  const parsed = parseJudgement(text);
  const answer = /<answer>([\s\S]*?)<\/answer>/.exec(text)?.[1]?.trim() ?? null;
  const { consistency } = ruleConsistency({
    analysis: text.split('<answer>')[0]!.trim(),
    choice: parsed.choice,
    answer,
  });
  const reward = r1Reward({
    format: parsed.strictFormat ? 1 : 0,
    result: parsed.choice === label ? 1 : 0,
    consistency,
  });
  console.log(
    JSON.stringify({
      choice: parsed.choice,
      via: parsed.via,
      format: parsed.strictFormat,
      consistency,
      reward,
    }),
  );
}
