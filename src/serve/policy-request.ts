// One request to the policy reward server, independent of HTTP: its body schema, and each
// rollout's response (cut out of the decoded query) and item (looked up by prompt in --data, or
// carried in the label). Bad input is a RewardInputError naming the field, as in serve-reward.
import { cutResponseAfterPrompt, type TemplateFamily } from './chat-template.js';
import { ItemFieldError, itemFromLabel, type PolicyItemSpec } from './policy-items.js';
import type { PromptIndex } from './prompt-index.js';
import { RewardInputError } from './reward-batch.js';

/** The body OpenRLHF sends (one rollout; an empty one for a second URL), and verl / TRL batches. */
export interface PolicyRewardRequest {
  query: string[];
  prompts?: (string | null)[];
  labels?: unknown[];
}

/** One rollout, ready to be judged. */
export interface Rollout {
  /** Which group it belongs to: its prompt, or (no prompt sent) its label. */
  groupKey: string;
  item: PolicyItemSpec;
  response: string;
  itemSource: 'data' | 'label' | 'nearest';
  headerFound: boolean;
}

/** How rollouts find their items. */
export interface RolloutLookup {
  items?: PromptIndex<PolicyItemSpec> | undefined;
  /** An unknown prompt uses the most similar known one instead of a 400. */
  nearest: boolean;
  imagesRoot: string;
  template: TemplateFamily;
}

/** The JSON schema of the body (fastify validates it before the handler runs). */
export function policyBodySchema(maxBatch: number, maxTextChars: number) {
  const label = {
    anyOf: [
      { type: 'string', maxLength: maxTextChars },
      { type: 'number' },
      { type: 'null' },
      { type: 'object' },
    ],
  };
  return {
    type: 'object',
    required: ['query'],
    properties: {
      query: { type: 'array', maxItems: maxBatch, items: { type: 'string', maxLength: maxTextChars } },
      prompts: {
        type: 'array',
        maxItems: maxBatch,
        items: { anyOf: [{ type: 'string', maxLength: maxTextChars }, { type: 'null' }] },
      },
      labels: { type: 'array', maxItems: maxBatch, items: label },
    },
  } as const;
}

function short(text: string): string {
  return text.length > 120 ? `${JSON.stringify(text.slice(0, 120))}…` : JSON.stringify(text);
}

/** The prompt's item in --data (exactly, or the nearest prompt's when allowed), if any. */
function fileItem(prompt: string | null | undefined, lookup: RolloutLookup) {
  if (typeof prompt !== 'string' || !lookup.items) return undefined;
  const known = lookup.items.get(prompt);
  if (known) return { spec: known, source: 'data' as const };
  const match = lookup.nearest ? lookup.items.nearest(prompt) : null;
  return match ? { spec: match.value, source: 'nearest' as const } : undefined;
}

/** Every rollout of a request, or a RewardInputError naming the first bad field. */
export function readRollouts(request: PolicyRewardRequest, lookup: RolloutLookup): Rollout[] {
  const n = request.query.length;
  for (const key of ['prompts', 'labels'] as const) {
    const list = request[key];
    if (list !== undefined && list.length !== n)
      throw new RewardInputError(
        `${key} has ${list.length} items but query has ${n}; send one per query`,
        key,
      );
  }
  return request.query.map((query, i) => {
    const prompt = request.prompts?.[i];
    const label = request.labels?.[i];
    const found = fileItem(prompt, lookup);
    let spec: PolicyItemSpec | undefined;
    try {
      spec = itemFromLabel(label, found?.spec, lookup.imagesRoot, prompt);
    } catch (error) {
      if (!(error instanceof ItemFieldError)) throw error;
      const field = `labels/${i}${error.field ? `/${error.field}` : ''}`;
      throw new RewardInputError(`labels/${i} ${error.message}`, field);
    }
    if (!spec) {
      if (typeof prompt !== 'string')
        throw new RewardInputError(
          `query ${i} has no item: send prompts/${i} (looked up in --data) or the item as JSON in labels/${i}`,
          `prompts/${i}`,
        );
      if (!lookup.items)
        throw new RewardInputError(
          `query ${i}: the server has no --data file to look prompts/${i} up in; start it with --data or send the item as JSON in labels/${i}`,
          `labels/${i}`,
        );
      throw new RewardInputError(
        `prompts/${i} is not in ${lookup.items.source} (${lookup.items.size} prompts): ${short(prompt)}; fix the prompt key (--prompt-key), send the item in labels/${i}, or start the server with --nearest`,
        `prompts/${i}`,
      );
    }
    const cut = cutResponseAfterPrompt(query, prompt, lookup.template);
    const fromLabel = label !== undefined && label !== null && label !== '';
    return {
      groupKey: typeof prompt === 'string' ? prompt : `label:${spec.id}`,
      item: spec,
      response: cut.response,
      itemSource: fromLabel ? 'label' : (found?.source ?? 'data'),
      headerFound: cut.family !== null,
    };
  });
}
