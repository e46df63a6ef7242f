// `rule`: a deterministic local referee. It reads the end of the analysis, finds the last sentence
// that states a verdict, and checks it against the final choice. No model, no network, same answer
// every time — the cheap default for tests, ablations and machines without a referee endpoint.
//
// The rule, precisely:
//  1. View. Take the analysis (text before the first <answer>), drop <think>/</think> tags and
//     markdown emphasis (* _ ` #), keep its last 3 non-empty lines (the released referee's view),
//     and split them into sentences at . ! ? ; followed by whitespace.
//  2. Scan those sentences from the last one backwards; the first sentence that yields a verdict
//     decides. A sentence's verdict is 1, 2, or "both" (tie / both approved / conflicting votes).
//  3. Inside a sentence, references are "response|answer|output|option|candidate 1|2|one|two"
//     (also "#1", "Response 1's") and "the first|second response|answer|one". Each reference
//     owns the text up to the next reference (its claim). A reference right after
//     "than|over|to|versus|vs|unlike|compared to|compared with|relative to" is the comparand of a
//     comparison: it casts no vote and its text stays with the preceding claim.
//  4. A claim is trimmed: concessive clauses ("although|though|while|whereas|despite|even if …"
//     up to the next comma) are removed, and only the part after the last "but|however|yet" counts.
//     Its polarity is that of its first strong cue (better, best, superior, preferred, preferable,
//     prefer, stronger, outperforms, excels, wins, winner, favoured, choose, chosen, select, pick /
//     worse, worst, inferior,
//     weaker, underperforms, loses), else of its first weak cue ("more|less" + accurate, correct,
//     precise, helpful, detailed, relevant, …; correctly, accurately, accurate, correct / incorrect,
//     inaccurate, wrong, erroneous, fails, misses, lacks, hallucinates, mistakes, errors, …).
//     A negation (not, n't, never, no, neither, nor, hardly, fewer, without) between the previous
//     cue and this one flips it. Positive → a vote for that reference; negative → for the other.
//     Text before the first reference with a cue ("the better response is Response 2",
//     "I would not choose Response 1") votes through the first reference the same way.
//  5. Without references, "choose|chose|select|pick|prefer|go with|verdict is|choice is|answer is
//     [:] 1|2" is a vote (negation flips it); "equally", "tie", "on par", "comparable",
//     "indistinguishable", "no clear winner/preference", "both … good/correct/accurate/…" and
//     "neither … better/worse" are a "both" verdict.
//  6. All votes of a sentence agree → that response; they disagree → "both".
//  7. C = +1 when the verdict equals the final choice; −1 when it is the other response or "both"
//     (the released referee prompt counts "approving both answers equally" and an ambiguous
//     conclusion as a mismatch); 0 when the final choice is unparseable or no sentence in the last
//     3 lines yields a verdict (the rule cannot tell, so it neither rewards nor punishes).
import type { Choice } from '../../algo/judgement.js';
import type { Consistency, Referee, RefereeInput, RefereeVerdict } from './referee.js';

type Verdict = Choice | 'both';

const ADJECTIVES =
  'accurate|correct|precise|helpful|detailed|relevant|comprehensive|complete|informative|faithful|appropriate|coherent|thorough|clear|reliable|truthful|factual|consistent|grounded|specific|useful|aligned';
const STRONG_POSITIVE =
  'better|best|superior|preferred|preferable|prefer|stronger|outperforms?|excels?|wins?|winner|favou?red|choose|chose|chosen|selected|select|picked|pick';
const STRONG_NEGATIVE = 'worse|worst|inferior|weaker|underperforms?|loses';
const WEAK_POSITIVE = `more (?:${ADJECTIVES})|correctly|accurately|accurate|correct`;
const WEAK_NEGATIVE = `less (?:${ADJECTIVES})|incorrect(?:ly)?|inaccurate(?:ly)?|wrong(?:ly)?|erroneous|fails?|failed|misses|missed|lacks?|lacking|hallucinat\\w*|mistakes?|errors?|misidentif\\w*|misreads?`;
// Longer alternatives first: at one position the first alternative that matches wins, so
// "less accurate" is read as negative before "accurate" could be read as positive.
const CUE = new RegExp(
  `\\b(?:(?<wn>${WEAK_NEGATIVE})|(?<wp>${WEAK_POSITIVE})|(?<sp>${STRONG_POSITIVE})|(?<sn>${STRONG_NEGATIVE}))\\b`,
  'g',
);
const NEGATION = /\b(?:not|never|no|neither|nor|hardly|fewer|without)\b|n't\b/;
const REFERENCE =
  /\b(?:response|answer|output|option|candidate)\s*(?:#\s*)?(1|2|one|two)\b|\b(?:the\s+)?(first|second)\s+(?:response|answer|output|option|candidate|one)\b/g;
const COMPARAND_BEFORE =
  /(?:\bthan|\bover|\bto|\bversus|\bvs\.?|\bunlike|\bcompared (?:to|with)|\brelative to)\s*$/;
const CONCESSIVE = /\b(?:although|though|while|whereas|despite|even if)\b[^,]*(?:,|$)/g;
const CONTRAST = /\b(?:but|however|yet)\b/g;
const BARE_CHOICE =
  /\b(?:choose|chose|select|pick|prefer|go with|verdict is|choice is|answer is)\s*:?\s*["'([]?(1|2|one|two)\b/;
const TIE =
  /\b(?:equally|a tie|tied|on par|comparable|indistinguishable|no clear (?:winner|preference|choice|difference))\b|\bboth\b.*\b(?:good|correct|accurate|valid|acceptable|fine|reasonable|strong|helpful|well)\b|\bneither\b.*\b(?:better|worse|preferred)\b/;

function toChoice(token: string): Choice {
  const t = token.toLowerCase();
  return t === '1' || t === 'one' || t === 'first' ? 1 : 2;
}

const other = (c: Choice): Choice => (c === 1 ? 2 : 1);

/** +1 positive, −1 negative, 0 no cue; strong cues outrank weak ones, negation flips. */
function polarity(claim: string): -1 | 0 | 1 {
  let text = claim.replace(CONCESSIVE, ' ');
  const parts = text.split(CONTRAST);
  text = parts[parts.length - 1]!;
  let firstWeak: -1 | 0 | 1 = 0;
  let previousEnd = 0;
  for (const m of text.matchAll(CUE)) {
    const g = m.groups!;
    const negated = NEGATION.test(text.slice(previousEnd, m.index));
    previousEnd = m.index + m[0].length;
    const strong = g['sp'] !== undefined || g['sn'] !== undefined;
    let sign: -1 | 1 = g['sp'] !== undefined || g['wp'] !== undefined ? 1 : -1;
    if (negated) sign = sign === 1 ? -1 : 1;
    if (strong) return sign;
    if (firstWeak === 0) firstWeak = sign;
  }
  return firstWeak;
}

/** The verdict one sentence states, or null when it states none (rule steps 3–6). */
export function sentenceVerdict(sentence: string): Verdict | null {
  const s = sentence.toLowerCase();
  const refs = [...s.matchAll(REFERENCE)].map((m) => ({
    choice: toChoice(m[1] ?? m[2]!),
    start: m.index,
    end: m.index + m[0].length,
  }));
  const votes: Choice[] = [];
  const cast = (ref: Choice, sign: -1 | 0 | 1) => {
    if (sign !== 0) votes.push(sign === 1 ? ref : other(ref));
  };
  if (refs.length === 0) {
    const bare = BARE_CHOICE.exec(s);
    if (bare) cast(toChoice(bare[1]!), NEGATION.test(s.slice(0, bare.index)) ? -1 : 1);
  } else {
    const prefix = s.slice(0, refs[0]!.start);
    // Subjects are references that are not the comparand of the text just before them.
    const subjects: { choice: Choice; claim: string }[] = [];
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const before = i === 0 ? prefix : s.slice(refs[i - 1]!.end, ref.start);
      const after = s.slice(ref.end, refs[i + 1]?.start ?? s.length);
      const subject = subjects[subjects.length - 1];
      // A comparand ("… than Response 1") casts no vote; its text stays with the claim before it.
      if (COMPARAND_BEFORE.test(before)) {
        if (subject) subject.claim += ` ${after}`;
      } else subjects.push({ choice: ref.choice, claim: after });
    }
    if (subjects.length > 0 && !COMPARAND_BEFORE.test(prefix)) cast(subjects[0]!.choice, polarity(prefix));
    for (const { choice, claim } of subjects) cast(choice, polarity(claim));
  }
  if (votes.length > 0) return votes.every((v) => v === votes[0]) ? votes[0]! : 'both';
  return TIE.test(s) ? 'both' : null;
}

/** The sentences the rule reads: the last 3 non-empty lines of the analysis (rule step 1). */
export function ruleView(analysis: string): string[] {
  const lines = analysis
    .replace(/<\/?think>/g, '\n')
    .replace(/[*_`#]+/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .slice(-3);
  return lines.flatMap((line) => line.split(/(?<=[.!?;])\s+/)).filter((s) => s.trim().length > 0);
}

/** Applies the whole rule (steps 1–7) to one judgement; pure and synchronous. */
export function ruleConsistency(input: RefereeInput): { consistency: Consistency; reply: string } {
  if (input.choice === null) return { consistency: 0, reply: 'no final choice to check' };
  const sentences = ruleView(input.analysis);
  for (let i = sentences.length - 1; i >= 0; i--) {
    const verdict = sentenceVerdict(sentences[i]!);
    if (verdict === null) continue;
    const consistency: Consistency = verdict === input.choice ? 1 : -1;
    return { consistency, reply: `verdict ${verdict} from "${sentences[i]!.trim()}"` };
  }
  return { consistency: 0, reply: 'no verdict in the last 3 lines' };
}

/**
 * The local, deterministic referee (`rule`): finds the last sentence of the analysis that states a verdict
 * and checks it against the final choice. No model, no network.
 */
export function createRuleReferee(): Referee {
  return {
    name: 'rule',
    async judge(input: RefereeInput, signal?: AbortSignal): Promise<RefereeVerdict> {
      if (signal?.aborted)
        return { consistency: 0, reply: null, attempts: 0, latencyMs: 0, failure: 'deadline' };
      const start = performance.now();
      const { consistency, reply } = ruleConsistency(input);
      return { consistency, reply, attempts: 1, latencyMs: performance.now() - start, failure: null };
    },
  };
}
