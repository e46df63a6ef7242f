// Holding a policy's rollouts until their group is complete (group mode of serve-policy-reward).
// A trainer sends the N rollouts of one prompt as N separate requests; a group opens with the
// first, closes when N have joined or its timeout passes (or on flush, at shutdown), and is then
// ranked once, as a whole. Groups form by arrival: identical responses are separate members, and
// the next group for the same prompt starts afresh. A member whose client went away before the
// group closed leaves it (its retry takes the place); one that went away while the group was being
// ranked becomes an orphan whose result the retry adopts, so no rollout is ranked twice.
import type { Timers } from './timers.js';

/** Why a group was ranked: all N arrived, its timeout passed, or the server is shutting down. */
export type CloseReason = 'full' | 'timeout' | 'flush';

/** What a member gets back: its own outcome and how its group was formed. */
export interface MemberOutcome<R> {
  result: R;
  /** Members ranked together (≤ N). */
  groupSize: number;
  reason: CloseReason;
  /** How long this member was held before its group closed, in ms. */
  heldMs: number;
}

/** Ranks one closed group: one result per response, in the order given. */
export type RankGroup<I, R> = (item: I, responses: readonly string[], reason: CloseReason) => Promise<R[]>;

/** Settings of {@link RolloutGroups}. */
export interface RolloutGroupsOptions<I, R> {
  /** Rollouts per prompt (the trainer's n_samples_per_prompt / num_generations). */
  size: number;
  /** A group is ranked with what has arrived this long after it opened. */
  timeoutMs: number;
  /** Most groups held open at once; one more is refused with {@link TooManyGroupsError}. */
  maxOpen: number;
  /** Most orphaned results kept for retries (oldest dropped first). */
  maxOrphans?: number;
  timers: Timers;
  rank: RankGroup<I, R>;
}

/** A new group was needed while `maxOpen` groups were open. */
export class TooManyGroupsError extends Error {
  constructor(readonly maxOpen: number) {
    super(
      `${maxOpen} groups are already waiting for their rollouts (--max-open-groups); retry shortly, send each prompt's rollouts closer together, or raise --max-open-groups`,
    );
  }
}

/** One rollout's place in a group. */
export interface Membership<R> {
  outcome: Promise<MemberOutcome<R>>;
  /**
   * The client went away: leave the group if it is still open, else leave the result for a retry
   * of the same rollout to adopt.
   */
  leave(): void;
}

interface Member<R> {
  response: string;
  joinedAt: number;
  resolve(outcome: MemberOutcome<R>): void;
  reject(error: unknown): void;
  outcome: Promise<MemberOutcome<R>>;
  left: boolean;
}

interface OpenGroup<I, R> {
  key: string;
  item: I;
  members: Member<R>[];
  cancelTimeout: () => void;
}

function deferred<R>(response: string, joinedAt: number): Member<R> {
  let resolve!: Member<R>['resolve'];
  let reject!: Member<R>['reject'];
  const outcome = new Promise<MemberOutcome<R>>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  // A member nobody awaits any more (orphan never adopted) must not become an unhandled rejection.
  outcome.catch(() => {});
  return { response, joinedAt, resolve, reject, outcome, left: false };
}

/** The open groups, keyed by prompt, and the orphans waiting for their retry. */
export class RolloutGroups<I, R> {
  private readonly open = new Map<string, OpenGroup<I, R>>();
  private readonly orphans = new Map<string, Promise<MemberOutcome<R>>>();
  private readonly ranking = new Set<Promise<void>>();
  private readonly maxOrphans: number;

  constructor(private readonly options: RolloutGroupsOptions<I, R>) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError(`group size must be a positive integer, got ${options.size}`);
    this.maxOrphans = options.maxOrphans ?? 4096;
  }

  /** Groups waiting for rollouts now. */
  get openGroups(): number {
    return this.open.size;
  }

  /** Groups being ranked now. */
  get rankingGroups(): number {
    return this.ranking.size;
  }

  /** Results of rollouts whose client went away while their group was ranked, kept for a retry. */
  get orphanedRollouts(): number {
    return this.orphans.size;
  }

  /** Rollouts held in open groups now. */
  get heldRollouts(): number {
    let n = 0;
    for (const group of this.open.values()) n += group.members.length;
    return n;
  }

  /**
   * Adds one rollout of the prompt `key` (its item `item`) to the prompt's open group, opening one
   * if there is none; a retry of an orphaned rollout adopts the orphan's result instead.
   */
  join(key: string, item: I, response: string): Membership<R> {
    const orphanKey = `${key}\u0000${response}`;
    const orphan = this.orphans.get(orphanKey);
    if (orphan) {
      this.orphans.delete(orphanKey);
      return { outcome: orphan, leave: () => this.keepOrphan(orphanKey, orphan) };
    }
    let group = this.open.get(key);
    if (!group) {
      if (this.open.size >= this.options.maxOpen) throw new TooManyGroupsError(this.options.maxOpen);
      const opened: OpenGroup<I, R> = { key, item, members: [], cancelTimeout: () => {} };
      opened.cancelTimeout = this.options.timers.after(this.options.timeoutMs, () =>
        this.close(opened, 'timeout'),
      );
      this.open.set(key, opened);
      group = opened;
    }
    const member = deferred<R>(response, this.options.timers.now());
    group.members.push(member);
    const joined = group;
    if (group.members.length >= this.options.size) this.close(group, 'full');
    return { outcome: member.outcome, leave: () => this.leave(joined, member, orphanKey) };
  }

  /** Ranks every open group now with what it holds (shutdown); resolves once all rankings are done. */
  async flush(): Promise<void> {
    for (const group of [...this.open.values()]) this.close(group, 'flush');
    await Promise.allSettled([...this.ranking]);
  }

  private leave(group: OpenGroup<I, R>, member: Member<R>, orphanKey: string): void {
    if (member.left) return;
    member.left = true;
    if (this.open.get(group.key) === group) {
      group.members.splice(group.members.indexOf(member), 1);
      if (group.members.length === 0) {
        group.cancelTimeout();
        this.open.delete(group.key);
      }
      member.reject(new Error('the client left the group before it was ranked'));
      return;
    }
    this.keepOrphan(orphanKey, member.outcome);
  }

  private keepOrphan(key: string, outcome: Promise<MemberOutcome<R>>): void {
    this.orphans.delete(key);
    this.orphans.set(key, outcome);
    if (this.orphans.size > this.maxOrphans) this.orphans.delete(this.orphans.keys().next().value!);
  }

  private close(group: OpenGroup<I, R>, reason: CloseReason): void {
    if (this.open.get(group.key) !== group) return;
    this.open.delete(group.key);
    group.cancelTimeout();
    const members = group.members;
    const closedAt = this.options.timers.now();
    const done = this.options
      .rank(
        group.item,
        members.map((m) => m.response),
        reason,
      )
      .then((results) => {
        if (results.length !== members.length)
          throw new Error(`ranking returned ${results.length} results for ${members.length} rollouts`);
        for (const [i, m] of members.entries())
          m.resolve({
            result: results[i]!,
            groupSize: members.length,
            reason,
            heldMs: closedAt - m.joinedAt,
          });
      })
      .catch((error: unknown) => {
        for (const m of members) m.reject(error);
      })
      .finally(() => this.ranking.delete(done));
    this.ranking.add(done);
  }
}
