// An in-process JudgeBackend the test controls: it answers by the scripted judge's rule (prefers
// the response containing GOOD), counts its calls, and can hold every answer until released.
import type { JudgeBackend, JudgeRequest, SampleOptions } from '../../src/judge/backend.js';
import { Gate } from '../judge/gate.js';
import { ruleAnswer } from '../judge/scripted-judge.js';

export class ScriptedBackend implements JudgeBackend {
  readonly identity = 'scripted-backend';
  /** Requests answered or waiting, in arrival order. */
  readonly requests: JudgeRequest[] = [];
  private holding = false;
  private readonly gate = new Gate();

  /** From now on, answers wait until {@link release}. */
  hold(): void {
    this.holding = true;
  }

  /** Answers everything held and stops holding. */
  release(): void {
    this.holding = false;
    this.gate.release();
  }

  /** Resolves once at least `count` answers are held. */
  whenHeld(count: number): Promise<void> {
    return this.gate.whenHeld(count);
  }

  async sample(request: JudgeRequest, k: number, options?: SampleOptions): Promise<string[]> {
    this.requests.push(request);
    if (this.holding) await this.gate.enter(options?.signal);
    return Array.from({ length: k }, (_, i) => ruleAnswer(request.text, i));
  }
}
