// Bradley–Terry strengths from pairwise results, fitted by Zermelo's iteration (Hunter 2004's MM
// algorithm). The model: P(i beats j) = p_i / (p_i + p_j). A tie counts as half a win for each side.
//
// A small prior keeps the fit finite when a player never lost (or never won) and ties together
// players whose comparisons never meet (swiss after one round, knockout brackets): every pair of
// players shares ε = prior / (n − 1) virtual games that ended as ties, so each player carries
// `prior` virtual games in all, half of them won. With W_i the points of i (ties ½) and n_ij the
// games between i and j, the fit maximises
//   Σ_i (W_i + prior/2) log p_i − Σ_{i<j} (n_ij + ε) log(p_i + p_j)
// and each MM step sets, for every i at once,
//   p_i ← (W_i + prior/2) / Σ_{j≠i} (n_ij + ε) / (p_i + p_j),
// then rescales so that the geometric mean of the strengths is 1 (only ratios are identified).
// Two players, i won w of n games: p_1 / p_2 = (w + prior/2) / (n − w + prior/2), in closed form.
import { fail } from '../algo/validate.js';

/** One game of a Bradley–Terry fit: players `a` and `b` (0-based) and the points `a` took (1, ½ or 0). */
export interface BradleyTerryGame {
  a: number;
  b: number;
  /** 1 when a won, 0.5 for a tie, 0 when b won. */
  points: 0 | 0.5 | 1;
}

/** Options of {@link fitBradleyTerry}. */
export interface BradleyTerryOptions {
  /** Virtual tied games per player, spread evenly over all other players (default 1; 0 = plain maximum likelihood). */
  prior?: number;
  /** Stop when no log-strength moves more than this in one step (default 1e-10). */
  tolerance?: number;
  /** Give up after this many steps (default 10,000); `converged` then says false. */
  maxIterations?: number;
}

/** Fitted strengths (geometric mean 1), the steps taken and whether the fit converged. */
export interface BradleyTerryFit {
  strengths: number[];
  iterations: number;
  converged: boolean;
}

/** The default prior: one virtual tied game per player. */
export const DEFAULT_BT_PRIOR = 1;

/**
 * Fits Bradley–Terry strengths to pairwise games by Zermelo's iteration with a virtual-tie prior (see the
 * file comment for the equations). A player with no games gets strength 1 when it is alone.
 * @example fitBradleyTerry(2, [{ a: 0, b: 1, points: 1 }]).strengths // [√3, 1/√3]: p1/p2 = 1.5 / 0.5
 */
export function fitBradleyTerry(
  players: number,
  games: readonly BradleyTerryGame[],
  options: BradleyTerryOptions = {},
): BradleyTerryFit {
  const { prior = DEFAULT_BT_PRIOR, tolerance = 1e-10, maxIterations = 10_000 } = options;
  if (!Number.isInteger(players) || players < 1) fail(`players must be a positive integer, got ${players}`);
  if (!(prior >= 0) || !Number.isFinite(prior)) fail(`prior must be a finite number ≥ 0, got ${prior}`);
  if (players === 1) return { strengths: [1], iterations: 0, converged: true };

  const epsilon = prior / (players - 1);
  const wins = new Array<number>(players).fill(prior / 2);
  const meetings = Array.from({ length: players }, () => new Array<number>(players).fill(epsilon));
  for (const [g, { a, b, points }] of games.entries()) {
    if (
      !Number.isInteger(a) ||
      !Number.isInteger(b) ||
      a < 0 ||
      b < 0 ||
      a >= players ||
      b >= players ||
      a === b
    )
      fail(`games[${g}] pairs players ${a} and ${b}: need two different players in 0..${players - 1}`);
    if (points !== 0 && points !== 0.5 && points !== 1)
      fail(`games[${g}].points must be 1, 0.5 or 0, got ${String(points)}`);
    wins[a]! += points;
    wins[b]! += 1 - points;
    meetings[a]![b]! += 1;
    meetings[b]![a]! += 1;
  }

  let strengths = new Array<number>(players).fill(1);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const next = strengths.map((p, i) => {
      let denominator = 0;
      for (let j = 0; j < players; j++)
        if (j !== i && meetings[i]![j]! > 0) denominator += meetings[i]![j]! / (p + strengths[j]!);
      return denominator > 0 ? wins[i]! / denominator : p;
    });
    normalise(next);
    const moved = Math.max(...next.map((p, i) => Math.abs(Math.log(p) - Math.log(strengths[i]!))));
    strengths = next;
    if (moved <= tolerance) return { strengths, iterations: iteration, converged: true };
    if (!Number.isFinite(moved)) break; // a strength reached 0 or ∞: no finite maximum (prior 0)
  }
  return { strengths, iterations: maxIterations, converged: false };
}

/** Rescales in place so that the geometric mean is 1 (the sum of log-strengths is 0). */
function normalise(strengths: number[]): void {
  const meanLog = strengths.reduce((sum, p) => sum + Math.log(p), 0) / strengths.length;
  const scale = Math.exp(-meanLog);
  for (let i = 0; i < strengths.length; i++) strengths[i]! *= scale;
}
