// The ways N candidates meet. Each scheme returns the comparisons it judged; knockout and sort also
// return their own order. Comparisons within a round are independent and run concurrently (bounded
// by the judging's limit); a later round waits for the results it pairs on.
import { createHash } from 'node:crypto';
import { compare, type Judging, pointsOf, voteMargin } from './compare.js';
import { swissPairing } from './swiss.js';
import type { Comparison } from './types.js';

/** What a scheme played: its comparisons and rounds, and for knockout and sort their own order. */
export interface SchemeResult {
  comparisons: Comparison[];
  rounds: number;
  /** Candidate indices best first, when the scheme itself yields the order (sort). */
  ranked?: number[];
  /** Per candidate, how far it went (knockout: the round it went out in; the champion: the number of rounds). */
  stage?: number[];
}

/** A seeded draw key for `index`: sorting by it gives a permutation fixed by seed, item and purpose. */
export function drawKey(judging: Judging, purpose: string, index: number): string {
  return createHash('sha256')
    .update(`${judging.seed}\u0000${judging.item.id}\u0000${purpose}\u0000${index}`)
    .digest('hex');
}

/** A seeded permutation of 0..n-1. */
function seededPermutation(judging: Judging, purpose: string, n: number): number[] {
  const keys = Array.from({ length: n }, (_, i) => drawKey(judging, purpose, i));
  return Array.from({ length: n }, (_, i) => i).sort((x, y) => (keys[x]! < keys[y]! ? -1 : 1));
}

/** Every pair once: N(N−1)/2 comparisons in one round. */
export async function roundRobin(judging: Judging): Promise<SchemeResult> {
  const n = judging.candidates.length;
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
  const comparisons = await Promise.all(pairs.map(([i, j]) => compare(judging, i, j, 0)));
  return { comparisons, rounds: n > 1 ? 1 : 0 };
}

/** Each candidate against the item's reference answer: N comparisons in one round. */
export async function againstReference(judging: Judging): Promise<SchemeResult> {
  if (judging.item.reference === undefined)
    throw new Error(`item ${judging.item.id}: the reference scheme needs a reference answer`);
  const comparisons = await Promise.all(
    judging.candidates.map((_, i) => compare(judging, i, 'reference', 0)),
  );
  return { comparisons, rounds: 1 };
}

/**
 * Seed positions of a bracket of `size` (a power of two): seed 1 meets seed `size`, 2 meets `size`−1, and
 * the best seeds can only meet late. E.g. 8 → [1, 8, 4, 5, 2, 7, 3, 6].
 */
export function bracketSeeds(size: number): number[] {
  let seeds = [1];
  while (seeds.length < size) {
    const next = seeds.length * 2;
    seeds = seeds.flatMap((s) => [s, next + 1 - s]);
  }
  return seeds;
}

/**
 * Single elimination. Seeds are a seeded draw; with N not a power of two the best seeds get the byes
 * (a bye is no comparison). A tied match sends on the candidate with the larger vote margin, then the
 * better seed. N − 1 comparisons.
 */
export async function knockout(judging: Judging): Promise<SchemeResult> {
  const n = judging.candidates.length;
  const bySeed = seededPermutation(judging, 'knockout-seeds', n); // bySeed[s − 1] = candidate with seed s
  const seedOf = new Map(bySeed.map((candidate, s) => [candidate, s + 1]));
  let size = 1;
  while (size < n) size *= 2;
  let alive: (number | null)[] = bracketSeeds(size).map((s) => (s <= n ? bySeed[s - 1]! : null));
  // The round each candidate went out in; the champion never did.
  const stage = new Array<number>(n).fill(0);
  const comparisons: Comparison[] = [];
  let round = 0;
  while (alive.length > 1) {
    const matches = Array.from(
      { length: alive.length / 2 },
      (_, m) => [alive[2 * m]!, alive[2 * m + 1]!] as const,
    );
    const played = await Promise.all(
      matches.map(([x, y]) => (x === null || y === null ? null : compare(judging, x, y, round))),
    );
    alive = matches.map(([x, y], m) => {
      const comparison = played[m];
      if (!comparison) return x ?? y; // a bye
      comparisons.push(comparison);
      const winner = matchWinner(comparison, x!, y!, seedOf);
      stage[winner === x ? y! : x!] = round;
      return winner;
    });
    round++;
  }
  if (alive[0] !== null && alive[0] !== undefined) stage[alive[0]] = round;
  return { comparisons, rounds: round, stage };
}

function matchWinner(comparison: Comparison, x: number, y: number, seedOf: Map<number, number>): number {
  if (comparison.winner !== null) return comparison.winner as number;
  const margin = voteMargin(comparison, x);
  if (margin !== 0) return margin > 0 ? x : y;
  return seedOf.get(x)! < seedOf.get(y)! ? x : y;
}

/**
 * Swiss: `rounds` rounds, each pairing candidates of similar points (wins + ½ ties) without repeating a
 * pair; the first round's order is a seeded draw. Stops early when no such pairing remains.
 */
export async function swiss(judging: Judging, rounds: number): Promise<SchemeResult> {
  const n = judging.candidates.length;
  const points = new Array<number>(n).fill(0);
  const byes = new Array<number>(n).fill(0);
  const met = new Set<string>();
  const comparisons: Comparison[] = [];
  let played = 0;
  for (let round = 0; round < rounds; round++) {
    const keys = Array.from({ length: n }, (_, i) => drawKey(judging, `swiss-round-${round}`, i));
    const standing = Array.from({ length: n }, (_, i) => i).sort(
      (x, y) => points[y]! - points[x]! || (keys[x]! < keys[y]! ? -1 : 1),
    );
    const pairing = swissPairing(standing, met, byes);
    if (pairing === null) break;
    if (pairing.bye !== null) byes[pairing.bye]!++;
    const results = await Promise.all(pairing.pairs.map(([x, y]) => compare(judging, x, y, round)));
    for (const comparison of results) {
      const [x, y] = [comparison.a as number, comparison.b as number];
      points[x]! += pointsOf(comparison, x);
      points[y]! += pointsOf(comparison, y);
      met.add(pairKey(x, y));
    }
    comparisons.push(...results);
    played++;
  }
  return { comparisons, rounds: played };
}

/** The key of an unordered pair of candidates. */
export function pairKey(x: number, y: number): string {
  return x < y ? `${x},${y}` : `${y},${x}`;
}

/**
 * Merge sort on debiased comparisons, best first. A tie keeps input order (the left run's candidate goes
 * first, and the left run always holds the earlier inputs), so the sort is stable and deterministic. The two
 * halves are sorted concurrently. At most N⌈log₂N⌉ − 2^⌈log₂N⌉ + 1 comparisons (17 for N = 8).
 */
export async function mergeSort(judging: Judging): Promise<SchemeResult> {
  interface Sorted {
    indices: number[];
    /** Merge levels below and including this one (0 for a single candidate). */
    height: number;
    comparisons: Comparison[];
  }
  async function sort(indices: number[]): Promise<Sorted> {
    if (indices.length <= 1) return { indices, height: 0, comparisons: [] };
    const middle = Math.ceil(indices.length / 2);
    const [left, right] = await Promise.all([sort(indices.slice(0, middle)), sort(indices.slice(middle))]);
    const height = Math.max(left.height, right.height) + 1;
    const comparisons = [...left.comparisons, ...right.comparisons];
    const merged: number[] = [];
    let [i, j] = [0, 0];
    while (i < left.indices.length && j < right.indices.length) {
      const [x, y] = [left.indices[i]!, right.indices[j]!];
      const comparison = await compare(judging, x, y, height - 1);
      comparisons.push(comparison);
      if (comparison.winner === y) {
        merged.push(y);
        j++;
      } else {
        merged.push(x);
        i++;
      }
    }
    merged.push(...left.indices.slice(i), ...right.indices.slice(j));
    return { indices: merged, height, comparisons };
  }
  const sorted = await sort(Array.from({ length: judging.candidates.length }, (_, i) => i));
  return { comparisons: sorted.comparisons, rounds: sorted.height, ranked: sorted.indices };
}
