// The judge prompt (docs/spec.md §2): the byte-exact template of the released R1-Reward model (one copy,
// embedded in src/data/r1-reward-format.ts so that an installed package needs no data files;
// test/judge/prompt.test.ts checks it against the released prompt file byte for byte),
// plus custom templates for other judges.
import { readFileSync } from 'node:fs';

/** The released template; {question}, {answer1}, {answer2} are substituted. Images precede it. */
export { R1_REWARD_PROMPT_TEMPLATE } from '../data/r1-reward-format.js';

const PLACEHOLDER = /\{(question|answer1|answer2)\}/g;
const REQUIRED = ['{question}', '{answer1}', '{answer2}'] as const;

/** The fields substituted into a judge prompt template ({question}, {answer1}, {answer2}). */
export interface PromptFields {
  question: string;
  /** Shown as Response 1. */
  answer1: string;
  /** Shown as Response 2. */
  answer2: string;
}

/**
 * Fills a template in one pass, so text inside a response that looks like a placeholder stays as is
 * (and `$&`-style patterns are never interpreted, unlike String.prototype.replace with a string).
 * @example renderPrompt('Q: {question} 1: {answer1} 2: {answer2}', { question: 'q', answer1: 'a', answer2: 'b' })
 */
export function renderPrompt(template: string, fields: PromptFields): string {
  return template.replace(PLACEHOLDER, (_, name: keyof PromptFields) => fields[name]);
}

/** Checks that a template names every placeholder once at least; throws a message saying which is missing. */
export function checkTemplate(template: string, where = 'the template'): string {
  const missing = REQUIRED.filter((p) => !template.includes(p));
  if (missing.length > 0)
    throw new Error(
      `${where} lacks ${missing.join(', ')}: a judge template must contain {question}, {answer1} and {answer2}`,
    );
  return template;
}

/**
 * Reads a custom template: a plain text file, or a JSON file with a `template` field (the shape of
 * r1-reward-prompt.json). The text is used byte for byte; no trailing newline is trimmed.
 */
export function loadTemplate(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the prompt template ${file}: ${(error as Error).message}`);
  }
  if (file.endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(
        `${file} is not valid JSON (${(error as Error).message}); give a .txt template or JSON with a "template" string`,
      );
    }
    const template = (parsed as { template?: unknown } | null)?.template;
    if (typeof template !== 'string') throw new Error(`${file} has no "template" string field`);
    text = template;
  }
  return checkTemplate(text, file);
}
