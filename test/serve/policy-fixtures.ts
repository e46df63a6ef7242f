// What the policy reward server tests share: a --data file (three prompts, one with an image), a
// server on 127.0.0.1 with the real ranking library over an in-process judge backend that prefers
// the response containing GOOD and can hold its answers, and a clock the test drives.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { BoundedJudgementCache } from '../../src/serve/bounded-cache.js';
import { ItemImages, type PolicyItemSpec, readPolicyItems } from '../../src/serve/policy-items.js';
import { createPolicyJudge, gateResponses } from '../../src/serve/policy-judge.js';
import {
  buildPolicyRewardServer,
  type PolicyRewardServerOptions,
} from '../../src/serve/policy-reward-server.js';
import type { PromptIndex } from '../../src/serve/prompt-index.js';
import { ManualTimers } from './manual-timers.js';
import { ScriptedBackend } from './scripted-backend.js';

export const dir = mkdtempSync(join(tmpdir(), 'r1-policy-'));
export const prompt = (i: number) => `What is in picture ${i}?`;
/** A Qwen-style decoded query: the chat template around the prompt, then the response. */
export const query = (i: number, response: string) =>
  `<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>${prompt(i)}<|im_end|>\n<|im_start|>assistant\n${response}<|im_end|>`;

let items: PromptIndex<PolicyItemSpec> | undefined;

/** Writes the --data file (once) and indexes it. */
async function policyItems(): Promise<PromptIndex<PolicyItemSpec>> {
  if (items) return items;
  await sharp({ create: { width: 2, height: 2, channels: 3, background: 'red' } })
    .png()
    .toFile(join(dir, 'red.png'));
  const lines = [
    // Item 1's reference contains GOOD (a GOOD rollout ties it, a plain one loses); item 2's does not.
    { message: prompt(1), question: 'Question 1', images: ['red.png'], reference: 'A GOOD reference' },
    { message: prompt(2), question: 'Question 2', reference: 'a plain reference' },
    { message: prompt(3), question: 'Question 3', reference: 'a plain reference' },
  ];
  writeFileSync(join(dir, 'prompts.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
  items = await readPolicyItems(join(dir, 'prompts.jsonl'), { imagesRoot: dir, requireReference: true });
  return items;
}

export interface Served {
  app: FastifyInstance;
  url: string;
  backend: ScriptedBackend;
  timers: ManualTimers;
}

/** A server over the scripted backend; `formatPattern` puts the format gate in front of its judge. */
export async function serve(
  options: Partial<PolicyRewardServerOptions> & { formatPattern?: RegExp } = {},
): Promise<Served> {
  const { formatPattern, ...serverOptions } = options;
  const backend = new ScriptedBackend();
  const timers = new ManualTimers();
  const judged = createPolicyJudge(backend, {
    scheme: 'round-robin',
    k: 1,
    order: 'both',
    seed: 0,
    cache: new BoundedJudgementCache(1000),
  });
  const judge = formatPattern ? gateResponses(judged, formatPattern) : judged;
  const app = await buildPolicyRewardServer({
    mode: 'group',
    judge,
    images: new ItemImages({ imagesRoot: dir }),
    items: await policyItems(),
    imagesRoot: dir,
    groupSize: 4,
    timers,
    ...serverOptions,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, backend, timers };
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field
export type Answer = { status: number; body: any };

export async function post(url: string, body: unknown, signal?: AbortSignal): Promise<Answer> {
  const response = await fetch(`${url}/get_reward`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return { status: response.status, body: await response.json() };
}

/** One rollout as OpenRLHF sends it. */
export const rollout = (url: string, i: number, response: string, signal?: AbortSignal) =>
  post(url, { query: [query(i, response)], prompts: [prompt(i)], labels: [''] }, signal);

export interface Health {
  groups: { open: number; held: number; ranking: number; orphaned: number };
}
/** Waits (event loop turns, no timer) until the server's group state satisfies `ready`. */
export async function until(url: string, ready: (h: Health) => boolean): Promise<void> {
  for (;;) {
    const health = (await (await fetch(`${url}/health`)).json()) as Health;
    if (ready(health)) return;
    await new Promise((r) => setImmediate(r));
  }
}
