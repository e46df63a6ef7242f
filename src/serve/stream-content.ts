// A sample's content as its tokens arrive, for SSE deltas: only text that is settled goes out. Held
// back: a trailing UTF-8 character still incomplete (decoded as U+FFFD), and any tail that could be
// the beginning of a stop string (OpenAI's content never holds the stop sequence, so "</ans" must
// wait until the next tokens show whether "</answer>" follows). Once the sample finishes, the rest is
// sent, cut at the stop string — the same content as the non-streaming answer.
import type { FinishReason } from '../model/index.js';
import { cutAtStop } from './chat-request.js';

/** Length of the longest tail of `text` that is a proper prefix of some stop string. */
export function stopPrefixLength(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops)
    for (let k = Math.min(stop.length - 1, text.length); k > longest; k--)
      if (text.endsWith(stop.slice(0, k))) {
        longest = k;
        break;
      }
  return longest;
}

export class ContentStream {
  private readonly ids: number[] = [];
  private sent = 0;
  private finished = false;

  constructor(
    private readonly decode: (ids: number[]) => string,
    private readonly stops: readonly string[],
    private readonly eos: number,
  ) {}

  /** Adds one sampled token; returns the newly settled text ('' when nothing is settled yet). */
  push(tokenId: number, finishReason: FinishReason | null): string {
    if (this.finished) throw new Error('ContentStream: a token after the sample finished');
    // As in generate: the final end-of-sequence token is not part of the text.
    if (!(finishReason === 'eos' && tokenId === this.eos)) this.ids.push(tokenId);
    const text = this.decode(this.ids);
    let settled: string;
    if (finishReason !== null) {
      this.finished = true;
      settled = finishReason === 'stop' ? cutAtStop(text, this.stops) : text;
    } else {
      if (text.endsWith('\uFFFD')) return '';
      const beforeStop = cutAtStop(text, this.stops);
      settled = beforeStop.slice(0, beforeStop.length - stopPrefixLength(beforeStop, this.stops));
    }
    if (settled.length <= this.sent) return '';
    const delta = settled.slice(this.sent);
    this.sent = settled.length;
    return delta;
  }
}
