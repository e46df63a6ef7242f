// The policy reward server (`r1-reward serve-policy-reward`): OpenRLHF, verl and TRL send a
// policy's rollouts to POST /get_reward and get back rewards from the pairwise R1-Reward judge.
// Reference mode judges each rollout against its item's reference answer at once; group mode
// holds each rollout until its prompt's N rollouts have arrived (or the group timeout passed) and
// ranks them together. Every held request is answered before the trainer's 180 s timeout:
// group timeout + judging deadline stay below it, and judging that fails or runs late gives the
// neutral reward (counted in extra_logs.judge_failed).
import { setMaxListeners } from 'node:events';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ImageError, PathEscapeError } from '../data/errors.js';
import type { TemplateFamily } from './chat-template.js';
import { guardedFastify } from './http-guards.js';
import type { ItemImages, PolicyItem, PolicyItemSpec } from './policy-items.js';
import { createPolicyMetrics } from './policy-metrics.js';
import { type PolicyRewardRequest, policyBodySchema, type Rollout, readRollouts } from './policy-request.js';
import {
  failedScore,
  groupScores,
  type JudgedGroup,
  policyExtraLogs,
  type RolloutScore,
  referenceScore,
  type ScoredRollout,
} from './policy-scoring.js';
import type { PromptIndex } from './prompt-index.js';
import { RewardInputError } from './reward-batch.js';
import { type MemberOutcome, type Membership, RolloutGroups, TooManyGroupsError } from './rollout-groups.js';
import { systemTimers, type Timers } from './timers.js';

/** Group mode ranks a prompt's N rollouts together; reference mode judges each against the reference. */
export type PolicyRewardMode = 'group' | 'reference';

/** Judges responses to one item: the group among themselves, or one response against the reference. */
export type JudgeResponses = (
  item: PolicyItem,
  responses: readonly string[],
  mode: PolicyRewardMode,
  signal: AbortSignal,
) => Promise<JudgedGroup>;

/** Options of {@link buildPolicyRewardServer}. */
export interface PolicyRewardServerOptions {
  mode: PolicyRewardMode;
  judge: JudgeResponses;
  /** Loads items' images (data URLs, cached). */
  images: ItemImages;
  /** Prompt → item (--data); items in labels take precedence field by field. */
  items?: PromptIndex<PolicyItemSpec> | undefined;
  /** Folder that image paths in labels are relative to. */
  imagesRoot: string;
  /** Use the most similar known prompt for an unknown one (extra_logs.item_nearest). */
  nearest?: boolean;
  /** Group mode: rollouts per prompt (default 8). */
  groupSize?: number;
  /** Group mode: a group is ranked with what arrived this long after it opened (default 60 000 ms). */
  groupTimeoutMs?: number;
  /** Group mode: most groups waiting at once; beyond it, 503 (default 4096). */
  maxOpenGroups?: number;
  /** Judging one group (or rollout) ends by this deadline; late → neutral reward (default 100 000 ms). */
  judgeDeadlineMs?: number;
  /** The clock for group timeouts and deadlines (tests drive their own). */
  timers?: Timers;
  template?: TemplateFamily;
  /** When set, every route but /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
  /** Largest request body in bytes (default 64 MiB). */
  bodyLimitBytes?: number;
  /** Most rollouts in one request (default 4096). */
  maxBatch?: number;
  /** Longest query / prompt / label in characters (default 1 000 000). */
  maxTextChars?: number;
  logger?: boolean;
}

const REWARD_ROUTES = ['/get_reward', '/get_reward_mllm'] as const;

/** Runs `judge` with an abort signal fired at the deadline; a failure or a late answer is null. */
async function beforeDeadline(
  timers: Timers,
  deadlineMs: number,
  judge: (signal: AbortSignal) => Promise<JudgedGroup>,
  onFailure: (error: unknown) => void,
): Promise<JudgedGroup | null> {
  const controller = new AbortController();
  // Every judge request of a group listens to this one signal (a round robin of 8 makes 56).
  setMaxListeners(0, controller.signal);
  let cancel = () => {};
  const late = new Promise<null>((resolve) => {
    cancel = timers.after(deadlineMs, () => {
      controller.abort(new Error(`judging took longer than ${deadlineMs} ms`));
      resolve(null);
    });
  });
  try {
    return await Promise.race([judge(controller.signal), late]);
  } catch (error) {
    onFailure(error);
    return null;
  } finally {
    cancel();
  }
}

/** The policy reward server (fastify): POST /get_reward (and /get_reward_mllm), GET /health, /metrics. */
export async function buildPolicyRewardServer(options: PolicyRewardServerOptions): Promise<FastifyInstance> {
  const {
    mode,
    judge,
    images,
    timers = systemTimers,
    judgeDeadlineMs = 100_000,
    bodyLimitBytes = 64 * 1024 * 1024,
    maxBatch = 4096,
    maxTextChars = 1_000_000,
  } = options;
  const lookup = {
    items: options.items,
    nearest: options.nearest ?? false,
    imagesRoot: options.imagesRoot,
    template: options.template ?? 'auto',
  };
  const app = guardedFastify({
    apiKey: options.apiKey,
    bodyLimitBytes,
    bodyLimitHint: 'send smaller batches or raise --body-limit-mb',
    logger: options.logger ?? false,
    mapError: (error) => {
      if (error instanceof RewardInputError)
        return { status: 400, message: error.message, field: `body/${error.field}` };
      if (error instanceof TooManyGroupsError) return { status: 503, message: error.message };
      return undefined;
    },
  });

  const judgeOrFail = (item: PolicyItem, responses: readonly string[]) =>
    beforeDeadline(
      timers,
      judgeDeadlineMs,
      (signal) => judge(item, responses, mode, signal),
      (error) => app.log.error({ err: error, item: item.id }, 'judging failed'),
    );

  const groups = new RolloutGroups<PolicyItem, RolloutScore>({
    size: options.groupSize ?? 8,
    timeoutMs: options.groupTimeoutMs ?? 60_000,
    maxOpen: options.maxOpenGroups ?? 4096,
    timers,
    rank: async (item, responses) => {
      const judged = await judgeOrFail(item, responses);
      return judged ? groupScores(judged) : responses.map(failedScore);
    },
  });
  const metrics = createPolicyMetrics(groups);

  /** Loads each rollout's images; a bad image in a label is the client's 400, one in --data the server's 500. */
  const loadItems = (rollouts: readonly Rollout[]) =>
    Promise.all(
      rollouts.map((r, i) =>
        images.load(r.item).catch((error: unknown) => {
          if (!(error instanceof ImageError || error instanceof PathEscapeError)) throw error;
          if (r.itemSource === 'label')
            throw new RewardInputError(`labels/${i}: ${error.message}`, `labels/${i}/images`);
          throw new Error(`item ${r.item.id} of ${options.items?.source ?? '--data'}: ${error.message}`);
        }),
      ),
    );

  async function judgeReferences(rollouts: readonly Rollout[], items: readonly PolicyItem[]) {
    return Promise.all(
      rollouts.map(async (r, i): Promise<MemberOutcome<RolloutScore>> => {
        const judged = await judgeOrFail(items[i]!, [r.response]);
        return {
          result: judged ? referenceScore(judged) : failedScore(),
          groupSize: 1,
          reason: 'full',
          heldMs: 0,
        };
      }),
    );
  }

  async function joinGroups(rollouts: readonly Rollout[], items: readonly PolicyItem[], reply: FastifyReply) {
    const memberships: Membership<RolloutScore>[] = [];
    const leaveAll = () => {
      for (const m of memberships) m.leave();
    };
    try {
      rollouts.forEach((r, i) => {
        memberships.push(groups.join(r.groupKey, items[i]!, r.response));
      });
    } catch (error) {
      leaveAll();
      throw error;
    }
    // A client that went away leaves its groups, so that its retry takes its place.
    const onClose = () => {
      if (!reply.raw.writableFinished) leaveAll();
    };
    reply.raw.once('close', onClose);
    // The client may have gone while its items were loading, before the listener was there.
    if (reply.raw.socket?.destroyed ?? true) leaveAll();
    try {
      return await Promise.all(memberships.map((m) => m.outcome));
    } finally {
      reply.raw.off('close', onClose);
    }
  }

  const handler = async (request: FastifyRequest<{ Body: PolicyRewardRequest }>, reply: FastifyReply) => {
    const rollouts = readRollouts(request.body, lookup);
    if (rollouts.length === 0) return { rewards: [], scores: [], extra_logs: {} };
    const items = await loadItems(rollouts);
    const outcomes =
      mode === 'group' ? await joinGroups(rollouts, items, reply) : await judgeReferences(rollouts, items);
    const scored: ScoredRollout[] = outcomes.map((outcome, i) => ({
      outcome,
      itemSource: rollouts[i]!.itemSource,
      headerFound: rollouts[i]!.headerFound,
    }));
    metrics.record(scored);
    return {
      rewards: outcomes.map((o) => o.result.reward),
      scores: outcomes.map((o) => o.result.score),
      extra_logs: policyExtraLogs(scored),
    };
  };

  const schema = { body: policyBodySchema(maxBatch, maxTextChars) };
  for (const url of REWARD_ROUTES) app.post(url, { schema }, handler);

  app.get('/health', async () => ({
    status: 'ok',
    mode,
    items: options.items ? { source: options.items.source, prompts: options.items.size } : null,
    groups: {
      open: groups.openGroups,
      held: groups.heldRollouts,
      ranking: groups.rankingGroups,
      orphaned: groups.orphanedRollouts,
    },
  }));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  // Shutdown (SIGTERM): every held rollout is ranked with its group as it stands and answered.
  app.addHook('preClose', async () => {
    await groups.flush();
  });
  return app;
}
