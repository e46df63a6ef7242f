// What a judge backend does: given one user turn (images first, then the prompt text), return K
// sampled completions. The OpenAI-compatible endpoint implements it (openai-backend.ts); the
// in-process local model will implement the same interface when the model lands.

/** One user turn for the judge: images (as URLs, usually data URLs) come before the text (docs/spec.md §2). */
export interface JudgeRequest {
  images: readonly string[];
  text: string;
}

/** Per-call options of {@link JudgeBackend.sample}. */
export interface SampleOptions {
  /** Aborts in-flight requests (Ctrl-C); the promise then rejects with an AbortError-like error. */
  signal?: AbortSignal;
}

/**
 * What a judge backend does: given one user turn (images first, then the prompt), return K sampled
 * completions. Implemented by {@link OpenAICompatibleBackend} and {@link LocalModelBackend}.
 */
export interface JudgeBackend {
  /**
   * Everything that changes what the backend would answer for a given request (model name and
   * sampling settings), as a stable string: part of the content-keyed cache key.
   */
  readonly identity: string;
  /** K independent completions for one request, in the order they were drawn. */
  sample(request: JudgeRequest, k: number, options?: SampleOptions): Promise<string[]>;
  /** Releases sockets or model memory. */
  close?(): Promise<void>;
}

/** Sampling settings shared by every backend (docs/spec.md §2 released settings: max_new_tokens 4096). */
export interface SamplingConfig {
  /** 1.0 for Voting@K (docs/spec.md §6); 0 for the released single greedy sample. */
  temperature: number;
  topP: number;
  maxTokens: number;
}

/** The released evaluation's sampling: temperature 1, top-p 1, up to 4096 new tokens (docs/spec.md §2). */
export const DEFAULT_SAMPLING: SamplingConfig = { temperature: 1.0, topP: 1.0, maxTokens: 4096 };
