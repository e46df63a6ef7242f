// Cutting the response out of the decoded sequence a trainer sends (docs/spec.md §8: `query` is the full
// decoded sequence, chat template and special tokens included).

/**
 * The chat template whose assistant header marks where the response starts in a trainer's query; `auto` tries
 * each.
 */
export type TemplateFamily = 'auto' | 'chatml' | 'llama3' | 'plain';

/** Where the assistant's turn starts, per family (the response is the text after the last one). */
const ASSISTANT_HEADER: Record<Exclude<TemplateFamily, 'auto'>, RegExp> = {
  // ChatML, used by Qwen2 / Qwen2.5-VL (the released R1-Reward model).
  chatml: /<\|im_start\|>assistant\n?/g,
  llama3: /<\|start_header_id\|>assistant<\|end_header_id\|>(?:\n\n)?/g,
  // Plain "User: …\n\nAssistant: …" prompts (the released server's "base" template).
  plain: /(?:^|\n)Assistant: ?/g,
};

/** End-of-turn, end-of-text and padding tokens of the three families, removed wherever they occur. */
const END_TOKENS =
  /<\|im_end\|>|<\|endoftext\|>|<\|eot_id\|>|<\|end_of_text\|>|<\|eom_id\|>|<\|finetune_right_pad_id\|>|<｜end▁of▁sentence｜>|<\/s>/g;

/** The response cut out of a query, and which template's header was found. */
export interface CutResponse {
  response: string;
  /** The family whose header was found, or null when none was (the whole query is the response). */
  family: Exclude<TemplateFamily, 'auto'> | null;
}

function lastHeaderEnd(query: string, header: RegExp): number {
  let end = -1;
  for (const m of query.matchAll(header)) end = m.index + m[0].length;
  return end;
}

/**
 * The response inside a decoded query: the text after the last assistant header of the given
 * family ('auto': whichever family's header occurs, ChatML first), end-of-turn tokens removed,
 * trimmed. Without a header the whole query is the response (as released; verl sends responses).
 * @example cutResponse('<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>a</think><answer>1</answer><|im_end|>').response // '<think>a</think><answer>1</answer>'
 */
export function cutResponse(query: string, family: TemplateFamily = 'auto'): CutResponse {
  const families = family === 'auto' ? (['chatml', 'llama3', 'plain'] as const) : [family];
  for (const f of families) {
    const end = lastHeaderEnd(query, ASSISTANT_HEADER[f]);
    if (end >= 0) return { response: query.slice(end).replace(END_TOKENS, '').trim(), family: f };
  }
  return { response: query.replace(END_TOKENS, '').trim(), family: null };
}

/**
 * The response inside a query whose prompt is known: the text after the last assistant header as
 * {@link cutResponse} finds it, or, for a query with no header that starts with its prompt (a
 * trainer without a chat template), the text after the prompt.
 */
export function cutResponseAfterPrompt(
  query: string,
  prompt: string | null | undefined,
  family: TemplateFamily = 'auto',
): CutResponse {
  const cut = cutResponse(query, family);
  if (cut.family !== null || !prompt || !query.startsWith(prompt)) return cut;
  return { response: query.slice(prompt.length).replace(END_TOKENS, '').trim(), family: null };
}
