// Swiss pairing (the Monrad rule): walk the standings top down and pair each candidate with the next
// one it has not met, backtracking when the rest cannot be paired. With an odd count, the lowest
// standing candidate with the fewest byes sits the round out (the next one up if the rest cannot be paired).

/** One round's pairs, and who sits out (odd counts) or null. */
export interface SwissRound {
  pairs: [number, number][];
  bye: number | null;
}

/** Search steps per round before giving up (the search is exhaustive below this, which covers practical N). */
const STEP_BUDGET = 200_000;

/**
 * Pairs `standing` (candidate indices, best first) without repeating a pair in `met` (keys "x,y" with
 * x < y). Returns null when no such pairing exists (or none was found within the step budget).
 */
export function swissPairing(
  standing: readonly number[],
  met: ReadonlySet<string>,
  byes: readonly number[],
): SwissRound | null {
  let steps = 0;
  const hasMet = (x: number, y: number) => met.has(x < y ? `${x},${y}` : `${y},${x}`);
  function pairUp(rest: readonly number[]): [number, number][] | null {
    if (rest.length === 0) return [];
    const [top, ...others] = rest;
    for (let i = 0; i < others.length; i++) {
      if (++steps > STEP_BUDGET) return null;
      const partner = others[i]!;
      if (hasMet(top!, partner)) continue;
      const tail = pairUp([...others.slice(0, i), ...others.slice(i + 1)]);
      if (tail) return [[top!, partner], ...tail];
    }
    return null;
  }
  if (standing.length < 2) return null;
  if (standing.length % 2 === 0) {
    const pairs = pairUp(standing);
    return pairs && { pairs, bye: null };
  }
  // The bye goes to the lowest standing candidate among those with the fewest byes so far.
  const candidates = standing
    .map((c, at) => ({ c, at }))
    .sort((x, y) => (byes[x.c] ?? 0) - (byes[y.c] ?? 0) || y.at - x.at);
  for (const { c: bye } of candidates) {
    const pairs = pairUp(standing.filter((c) => c !== bye));
    if (pairs) return { pairs, bye };
  }
  return null;
}
