// The teacher: the stand-in for GPT-4o writing the cold-start analyses (docs/spec.md §5). Each attempt
// checks the one claim on which the two responses differ against the scene and concludes. Like
// GPT-4o with up to 3 attempts, an attempt errs with a calibrated probability that grows with the
// sample's hardness; the number of attempts it needed (1, 2, 3 or failed) is the sample's difficulty.
import type { Choice } from '../../algo/judgement.js';
import { type Claim, claimClause } from './claims.js';
import type { Rng } from './random.js';
import { CELL_NAMES, type Scene, type SceneObject } from './scene.js';

/** How many teacher attempts a sample needed (1–3), or `failed` when none picked the faithful response. */
export type Difficulty = 1 | 2 | 3 | 'failed';
/** Every {@link Difficulty}, in order. */
export const DIFFICULTIES: readonly Difficulty[] = [1, 2, 3, 'failed'];

/**
 * The simulated teacher (the stand-in for GPT-4o's traces): its error rate by hardness and its number of
 * attempts.
 */
export interface TeacherConfig {
  /** Probability that one attempt picks the wrong response, by hardness 0, 1, 2. */
  errorByHardness: readonly [number, number, number];
  /** Attempts before giving up (GPT-4o in the paper: 3). */
  maxAttempts: number;
  /**
   * Open the analysis by describing every object of the image ("describe, then compare"), as
   * R1-Reward's analyses describe the image before judging. It gives a model trained from scratch
   * dense supervision of its vision path (every object's colour, shape, size and place), where the
   * bare comparison gives one bit per example; without it a small model stays at chance.
   */
  describeScene: boolean;
  /**
   * With the description: quote each response verbatim on its line instead of restating its
   * differing claim in canonical words (a copy from the prompt, not a comparison). Default off.
   */
  quoteResponses?: boolean;
  /**
   * With the description: when the differing claims place an object in a cell (cell questions and
   * long descriptions), each response's line looks at that cell again right after restating the claim
   * ("Response 1 at the top left: a large red circle; in the image: a small red circle."), so the
   * verdict compares two phrases a fixed distance apart instead of searching the description for
   * the claimed object. Default off.
   */
  lookAtCell?: boolean;
  /**
   * With lookAtCell: compare the claimed object and the cell's attribute by attribute, each pair
   * side by side and judged at once, stopping at the first that differs ("Response 1 at the top left:
   * large/large same, red/blue differs."); the verdict then follows its last judgement. Every decision
   * looks back a few tokens only, the range of the model's local mixing (ModelConfig.localMix).
   * Default off.
   */
  attributePairs?: boolean;
}

/** The teacher used by {@link DEFAULT_WORLD}. */
export const DEFAULT_TEACHER: TeacherConfig = {
  errorByHardness: [0.05, 0.25, 0.5],
  maxAttempts: 3,
  describeScene: true,
};

/** What the teacher did with one sample: its attempts, and the resulting difficulty. */
export interface TeacherRun {
  /** One entry per attempt: did it pick the faithful response? Stops at the first right one. */
  attempts: boolean[];
  difficulty: Difficulty;
}

/** Draws the teacher's attempts for one sample (independent attempts, same error rate). */
export function runTeacher(
  rng: Rng,
  hardness: 0 | 1 | 2,
  config: TeacherConfig = DEFAULT_TEACHER,
): TeacherRun {
  const p = config.errorByHardness[hardness];
  const attempts: boolean[] = [];
  while (attempts.length < config.maxAttempts) {
    const right = !rng.chance(p);
    attempts.push(right);
    if (right) return { attempts, difficulty: attempts.length as Difficulty };
  }
  return { attempts, difficulty: 'failed' };
}

/** What the teacher compares: the differing claims, as they appear at positions 1 and 2. */
export interface TeacherView {
  claim1: Claim;
  claim2: Claim;
  /** Which position holds the faithful response. */
  gold: Choice;
  /** The scene, when the analysis opens with its description. */
  scene?: Scene;
  /** The two responses' texts, when their lines quote them verbatim. */
  quotes?: { 1: string; 2: string };
  /** Look at the claimed cell again on each response's line ({@link TeacherConfig.lookAtCell}). */
  lookAtCell?: boolean;
  /** Compare attribute by attribute ({@link TeacherConfig.attributePairs}). */
  attributePairs?: boolean;
}

/**
 * Every object in reading order (row by row), the place first: "top left: a large red circle; center:
 * a small blue square". Naming the cell before the object tells the model where to look before it
 * reads colour, shape and size off that cell (the other order asks it to pick the next object blind).
 */
export function describeScene(scene: Scene): string {
  if (scene.objects.length === 0) return 'nothing';
  return [...scene.objects]
    .sort((a, b) => a.cell - b.cell)
    .map((o) => `${CELL_NAMES[o.cell]}: ${objectPhrase(o)}`)
    .join('; ');
}

/** "a large red circle". */
const objectPhrase = (o: Omit<SceneObject, 'cell'>) => `a ${o.size} ${o.color} ${o.shape}`;

/**
 * A response's line that restates its object claim at its cell and what the image has there:
 * "Response 1 at the top left: a large red circle; in the image: a small red circle." — the two
 * phrases sit a fixed distance apart whatever the cell's name. Undefined for other claims.
 */
function cellLookLine(k: 1 | 2, claim: Claim, scene: Scene, pairs: boolean): string | undefined {
  if (claim.type !== 'object' || claim.cell === undefined) return undefined;
  const seen = scene.objects.find((o) => o.cell === claim.cell);
  const head = `Response ${k} at the ${CELL_NAMES[claim.cell]}:`;
  if (!pairs)
    return `${head} ${objectPhrase(claim)}; in the image: ${seen ? objectPhrase(seen) : 'nothing'}.`;
  return `${head} ${seen ? attributePairs(claim, seen) : 'nothing there'}.`;
}

/**
 * "large/large same, red/blue differs": the claim's and the image's size, colour and shape side by
 * side, each judged, up to the first that differs.
 */
export function attributePairs(
  claim: Pick<SceneObject, 'size' | 'color' | 'shape'>,
  seen: Pick<SceneObject, 'size' | 'color' | 'shape'>,
): string {
  const out: string[] = [];
  for (const key of ['size', 'color', 'shape'] as const) {
    const same = claim[key] === seen[key];
    out.push(`${claim[key]}/${seen[key]} ${same ? 'same' : 'differs'}`);
    if (!same) break;
  }
  return out.join(', ');
}
/**
 * One attempt's output, `<think>…</think><answer>k</answer>`, and conclude for response k:
 * - with the scene: describe the image, then check each response's differing claim against it
 *   ("Response 1: there are 2 circles. This matches the image."), so each verdict sits next to the
 *   claim and the description it compares;
 * - without: quote each response's claim, state what the image shows, conclude.
 * A wrong attempt misreads the image as the flawed claim and so concludes for the flawed response
 * (its conclusion stays consistent with its reading).
 */
export function teacherOutput(view: TeacherView, right: boolean): string {
  const choice: Choice = right ? view.gold : view.gold === 1 ? 2 : 1;
  const loser = choice === 1 ? 2 : 1;
  const claims = { 1: view.claim1, 2: view.claim2 };
  const conclusion = `Response ${choice} matches the image and response ${loser} does not, so response ${choice} is better.`;
  const think = view.scene
    ? [
        `In the image: ${describeScene(view.scene)}.`,
        ...([1, 2] as const).map((k) => {
          const look = view.lookAtCell
            ? cellLookLine(k, claims[k], view.scene!, view.attributePairs === true)
            : undefined;
          const restated =
            look ?? `Response ${k}: ${view.quotes ? view.quotes[k] : `${claimClause(claims[k])}.`}`;
          return `${restated} This ${k === choice ? 'matches' : 'does not match'} the image.`;
        }),
        conclusion,
      ]
    : [
        ...([1, 2] as const).map((k) => `Response ${k}: ${claimClause(claims[k])}.`),
        `Image: ${claimClause(claims[choice])}.`,
        conclusion,
      ];
  return `<think>${think.join('\n')}</think><answer>${choice}</answer>`;
}
