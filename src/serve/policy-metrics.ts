// Prometheus metrics of the policy reward server (GET /metrics), in a registry of its own.
import { Counter, Gauge, type Registry } from 'prom-client';
import { createHttpMetrics } from './http-guards.js';
import type { ScoredRollout } from './policy-scoring.js';

/** What the metrics read the groups' state from. */
interface GroupState {
  readonly openGroups: number;
  readonly heldRollouts: number;
  readonly rankingGroups: number;
}

export interface PolicyMetrics {
  registry: Registry;
  record(rollouts: readonly ScoredRollout[]): void;
}

export function createPolicyMetrics(groups: GroupState): PolicyMetrics {
  const { registry } = createHttpMetrics(
    'r1_policy_reward_',
    [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 180],
  );
  new Gauge({
    name: 'r1_policy_reward_groups',
    help: 'Groups waiting for rollouts (state="open"), being ranked (state="ranking"); rollouts held (state="held")',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'open' }, groups.openGroups);
      this.set({ state: 'ranking' }, groups.rankingGroups);
      this.set({ state: 'held' }, groups.heldRollouts);
    },
  });
  const rollouts = new Counter({
    name: 'r1_policy_reward_rollouts_total',
    help: "Rollouts answered ('all'), in groups closed by timeout or shutdown, whose judging failed",
    labelNames: ['part'] as const,
    registers: [registry],
  });
  const judgeCalls = new Counter({
    name: 'r1_policy_reward_judge_calls_total',
    help: 'Judge calls (samples not found in the cache)',
    registers: [registry],
  });
  return {
    registry,
    record(batch) {
      rollouts.inc({ part: 'all' }, batch.length);
      for (const { outcome } of batch) {
        if (outcome.reason === 'timeout') rollouts.inc({ part: 'group_timed_out' });
        if (outcome.reason === 'flush') rollouts.inc({ part: 'group_flushed' });
        if (outcome.result.failed) rollouts.inc({ part: 'judge_failed' });
        judgeCalls.inc(outcome.result.judgeCalls);
      }
    },
  };
}
