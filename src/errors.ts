// The one base of every error r1-reward throws on purpose: catch `R1RewardError` for all of them, or a
// subclass for one kind, and branch on `code`, which stays the same across versions (docs/errors.md).
// `name` is a string literal per class, not the constructor's name, so it survives minification.

/** The stable code of each {@link R1RewardError} subclass; docs/errors.md lists what each means. */
export type R1RewardErrorCode =
  | 'invalid_config'
  | 'data_format'
  | 'image'
  | 'path_escape'
  | 'engine_unavailable'
  | 'safetensors'
  | 'checkpoint'
  | 'image_input'
  | 'job_cancelled'
  | 'chat_input'
  | 'reward_input'
  | 'item_field'
  | 'too_many_groups'
  | 'malformed_reply'
  | 'remote_image';

/**
 * Base class of r1-reward's errors: `code` says which kind it is, the message says what is wrong, where
 * and how to fix it.
 * @example try { await trainRl(config) } catch (e) { if (e instanceof R1RewardError && e.code === 'invalid_config') … }
 */
export class R1RewardError extends Error {
  override name = 'R1RewardError';
  constructor(
    readonly code: R1RewardErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A run or job config that does not validate; the message names each offending field. */
export class ConfigError extends R1RewardError {
  override name = 'ConfigError';
  constructor(message: string) {
    super('invalid_config', message);
  }
}
