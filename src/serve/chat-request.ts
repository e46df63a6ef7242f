// The body of POST /v1/chat/completions: its JSON schema (validated by fastify before any work) and
// how its messages become the local model's prompt.
//
// The local model has no chat template: it was trained on the compact judge prompt
// (src/model/judge-format.ts), images first, then text. So a prompt is every image of every
// message (in order) as image tokens, then the text of every message (in order, joined by "\n"),
// tokenized with the checkpoint's tokenizer. Roles are not marked. A judging request is one user
// message: the images as image_url parts, then one text part holding renderCompactPrompt(…) —
// the exact tokens encodeJudgePrompt gives.

import { R1RewardError } from '../errors.js';

export interface TextPart {
  type: 'text';
  text: string;
}
export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: string };
}
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string | (TextPart | ImagePart)[] | null;
  name?: string;
}

export interface ChatCompletionBody {
  model?: string;
  messages: ChatMessage[];
  n?: number;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[] | null;
  seed?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  user?: string;
}

/**
 * Limits on a chat-completions request (messages, content parts, text, n, images), checked before any work.
 */
export interface ChatLimits {
  maxMessages: number;
  maxParts: number;
  maxTextChars: number;
  maxN: number;
  maxImagesPerRequest: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = {
  maxMessages: 256,
  maxParts: 64,
  maxTextChars: 200_000,
  maxN: 16,
  maxImagesPerRequest: 16,
};

export function chatBodySchema(limits: ChatLimits) {
  const text = { type: 'string', maxLength: limits.maxTextChars } as const;
  return {
    type: 'object',
    required: ['messages'],
    properties: {
      model: { type: 'string', maxLength: 256 },
      messages: {
        type: 'array',
        minItems: 1,
        maxItems: limits.maxMessages,
        items: {
          type: 'object',
          required: ['role', 'content'],
          properties: {
            role: { enum: ['system', 'developer', 'user', 'assistant'] },
            name: { type: 'string', maxLength: 256 },
            content: {
              anyOf: [
                text,
                { type: 'null' },
                {
                  type: 'array',
                  maxItems: limits.maxParts,
                  items: {
                    type: 'object',
                    required: ['type'],
                    properties: {
                      type: { enum: ['text', 'image_url'] },
                      text,
                      image_url: {
                        type: 'object',
                        required: ['url'],
                        properties: {
                          // A data URL of the largest accepted image fits well inside the body limit.
                          url: { type: 'string', minLength: 1, maxLength: 64 * 1024 * 1024 },
                          detail: { enum: ['auto', 'low', 'high'] },
                        },
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      },
      n: { type: 'integer', minimum: 1, maximum: limits.maxN },
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      max_tokens: { type: 'integer', minimum: 1 },
      max_completion_tokens: { type: 'integer', minimum: 1 },
      stop: {
        anyOf: [
          { type: 'string', maxLength: 256 },
          { type: 'null' },
          { type: 'array', maxItems: 4, items: { type: 'string', maxLength: 256 } },
        ],
      },
      seed: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
      stream: { anyOf: [{ type: 'boolean' }, { type: 'null' }] },
      stream_options: {
        anyOf: [{ type: 'null' }, { type: 'object', properties: { include_usage: { type: 'boolean' } } }],
      },
      user: { type: 'string', maxLength: 256 },
    },
  } as const;
}

/** Bad request content found after the schema (e.g. a part without its field); `field` says where. */
export class ChatInputError extends R1RewardError {
  override name = 'ChatInputError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super('chat_input', message);
  }
}

export interface FlatPrompt {
  text: string;
  /** Image URLs in order, with the request field each came from. */
  images: { url: string; field: string }[];
}

/** Images first (in message order), then the messages' text joined by newlines. */
export function flattenMessages(messages: readonly ChatMessage[]): FlatPrompt {
  const texts: string[] = [];
  const images: FlatPrompt['images'] = [];
  messages.forEach((message, m) => {
    const content = message.content;
    if (content === null) return;
    if (typeof content === 'string') {
      texts.push(content);
      return;
    }
    let text = '';
    content.forEach((part, p) => {
      const field = `body/messages/${m}/content/${p}`;
      if (part.type === 'text') {
        if (typeof part.text !== 'string')
          throw new ChatInputError('a text part needs a "text" string', `${field}/text`);
        text += part.text;
      } else {
        if (part.image_url === undefined)
          throw new ChatInputError(
            'an image_url part needs "image_url": {"url": "data:image/png;base64,…"}',
            `${field}/image_url`,
          );
        images.push({ url: part.image_url.url, field: `${field}/image_url/url` });
      }
    });
    texts.push(text);
  });
  return { text: texts.join('\n'), images };
}

/** Stop strings as a list (OpenAI accepts one string or up to 4). */
export function stopList(stop: ChatCompletionBody['stop']): string[] {
  if (stop === undefined || stop === null) return [];
  return (typeof stop === 'string' ? [stop] : stop).filter((s) => s.length > 0);
}

/** OpenAI's content never includes the stop sequence: cut the text at the first one found. */
export function cutAtStop(text: string, stops: readonly string[]): string {
  let end = text.length;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}
