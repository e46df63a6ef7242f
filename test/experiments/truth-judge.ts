// An in-process JudgeBackend that reads the truth: it knows the scene behind each image, checks both
// responses of the compact judge prompt with checkAnswer, and picks the true one (`right`) or the
// false one (`wrong`). When both or neither are true it picks Response 1, so the two orders of such a
// comparison disagree and ranking scores it a tie.
import { checkAnswer, type PolicyProblem } from '../../src/data/index.js';
import type { JudgeBackend, JudgeRequest } from '../../src/judge/backend.js';

const PROMPT = /^Question: (.*)\nResponse 1: (.*)\nResponse 2: (.*)\nWhich response is better\?\n$/s;

export class TruthJudge implements JudgeBackend {
  readonly identity: string;
  /** Requests answered. */
  requests = 0;

  /** `problems`: image URL → the question it shows. */
  constructor(
    readonly problems: ReadonlyMap<string, PolicyProblem>,
    readonly mode: 'right' | 'wrong',
  ) {
    this.identity = `truth-judge:${mode}`;
  }

  async sample(request: JudgeRequest, k: number): Promise<string[]> {
    this.requests++;
    const problem = this.problems.get(request.images[0] ?? '');
    const m = PROMPT.exec(request.text);
    if (!problem || !m) throw new Error('the truth judge needs a known image and the compact judge prompt');
    const true1 = checkAnswer(problem, m[2]!).correct;
    const true2 = checkAnswer(problem, m[3]!).correct;
    const pick = true1 === true2 ? 1 : (this.mode === 'right') === true1 ? 1 : 2;
    return Array.from({ length: k }, () => `<think>checked</think><answer>${pick}</answer>`);
  }
}
