// Referees for the consistency reward C (docs/spec.md §3): `rule` (local, deterministic) and `openai`
// (any OpenAI-compatible endpoint with the released prompt).
import { createOpenAIReferee, type OpenAIRefereeOptions } from './openai-referee.js';
import type { Referee } from './referee.js';
import { createRuleReferee } from './rule-referee.js';

export * from './openai-referee.js';
export * from './referee.js';
export * from './rule-referee.js';

/**
 * A referee from a command-line value: 'rule', or an http(s) base URL of an OpenAI-compatible
 * endpoint (e.g. http://127.0.0.1:8000/v1).
 */
export function createReferee(spec: string, options: Omit<OpenAIRefereeOptions, 'baseURL'> = {}): Referee {
  if (spec === 'rule') return createRuleReferee();
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new RangeError(
      `referee must be 'rule' or an http(s) URL of an OpenAI-compatible endpoint (e.g. http://127.0.0.1:8000/v1), got '${spec}'`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RangeError(`referee URL must use http or https, got '${spec}'`);
  return createOpenAIReferee({ ...options, baseURL: spec });
}
