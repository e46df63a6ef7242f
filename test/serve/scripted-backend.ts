// An in-process JudgeBackend the test controls: it answers by the scripted judge's rule (prefers
// the response containing GOOD), counts its calls, and can hold every answer until released.
import type { JudgeBackend, JudgeRequest, SampleOptions } from '../../src/judge/backend.js';
import { ruleAnswer } from '../judge/scripted-judge.js';

export class ScriptedBackend implements JudgeBackend {
  readonly identity = 'scripted-backend';
  /** Requests answered or waiting, in arrival order. */
  readonly requests: JudgeRequest[] = [];
  private held: (() => void)[] | null = null;

  /** From now on, answers wait until {@link release}. */
  hold(): void {
    this.held ??= [];
  }

  /** Answers everything held and stops holding. */
  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    for (const go of waiting) go();
  }

  get waiting(): number {
    return this.held?.length ?? 0;
  }

  async sample(request: JudgeRequest, k: number, options?: SampleOptions): Promise<string[]> {
    this.requests.push(request);
    if (this.held) {
      const held = this.held;
      await new Promise<void>((resolve, reject) => {
        held.push(resolve);
        options?.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
      });
    }
    return Array.from({ length: k }, (_, i) => ruleAnswer(request.text, i));
  }
}
