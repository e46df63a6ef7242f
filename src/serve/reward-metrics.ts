// Prometheus metrics of the reward server (GET /metrics), in a registry of its own so that several
// servers in one process (tests, benchmarks) never share counters.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Referee } from '../reward/referees/referee.js';
import { createHttpMetrics } from './http-guards.js';
import type { ScoredSample } from './reward-batch.js';

export interface RewardMetrics {
  registry: Registry;
  requests: Counter<'route' | 'status'>;
  requestSeconds: Histogram<'route'>;
  inFlight: Gauge;
  samples: Counter<'part'>;
  refereeSeconds: Histogram;
  refereeFailures: Counter<'reason'>;
  record(samples: readonly ScoredSample[]): void;
}

export function createRewardMetrics(referee: Referee): RewardMetrics {
  const { registry, requests, requestSeconds } = createHttpMetrics(
    'r1_reward_',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  );
  const inFlight = new Gauge({
    name: 'r1_reward_requests_in_flight',
    help: 'Requests being answered now',
    registers: [registry],
  });
  new Gauge({
    name: 'r1_reward_referee_calls',
    help: 'Referee calls running now (state="active") and waiting for a slot (state="pending")',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const load = referee.load?.() ?? { active: 0, pending: 0 };
      this.set({ state: 'active' }, load.active);
      this.set({ state: 'pending' }, load.pending);
    },
  });
  const samples = new Counter({
    name: 'r1_reward_samples_total',
    help: "Scored samples ('all'); those with F=1, R=1, C=+1, C=-1; choices by the last-digit fallback or unparseable",
    labelNames: ['part'] as const,
    registers: [registry],
  });
  const refereeSeconds = new Histogram({
    name: 'r1_reward_referee_seconds',
    help: 'Referee latency per sample, retries included',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 90],
    registers: [registry],
  });
  const refereeFailures = new Counter({
    name: 'r1_reward_referee_failures_total',
    help: 'Samples whose referee failed (C fell back to 0), by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return {
    registry,
    requests,
    requestSeconds,
    inFlight,
    samples,
    refereeSeconds,
    refereeFailures,
    record(batch) {
      samples.inc({ part: 'all' }, batch.length);
      for (const s of batch) {
        if (s.format) samples.inc({ part: 'format' });
        if (s.result) samples.inc({ part: 'result' });
        if (s.consistency === 1) samples.inc({ part: 'consistent' });
        if (s.consistency === -1) samples.inc({ part: 'inconsistent' });
        if (s.choiceVia === 'fallback') samples.inc({ part: 'choice_fallback' });
        if (s.choiceVia === 'none') samples.inc({ part: 'choice_unparseable' });
        refereeSeconds.observe(s.verdict.latencyMs / 1000);
        if (s.verdict.failure) refereeFailures.inc({ reason: s.verdict.failure });
      }
    },
  };
}
