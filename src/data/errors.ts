// Errors that say what is wrong, where (file, line, field or item, path) and how to fix it.

import { R1RewardError } from '../errors.js';

/** A record in a data file does not have the expected shape. */
export class DataFormatError extends R1RewardError {
  override name = 'DataFormatError';
  constructor(
    readonly file: string,
    /** 1-based line in the file (JSONL), or 1-based item number for JSON lists and parquet rows. */
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly detail: string,
    /** What `line` counts: a text line, or an item of a JSON list / parquet file. */
    readonly unit: 'line' | 'item' | 'row' = 'line',
  ) {
    const where = line === undefined ? file : unit === 'line' ? `${file}:${line}` : `${file} ${unit} ${line}`;
    super(
      'data_format',
      field === undefined ? `${where}: ${detail}` : `${where}: field '${field}': ${detail}`,
    );
  }
}

/** An image that an item refers to is missing, undecodable, too large or outside the images root. */
export class ImageError extends R1RewardError {
  override name = 'ImageError';
  constructor(
    /** The item the image belongs to (empty when the image is used on its own). */
    readonly itemId: string,
    /** The path as resolved, or `<embedded bytes>`. */
    readonly path: string,
    readonly reason: string,
  ) {
    super('image', itemId === '' ? `image ${path}: ${reason}` : `item ${itemId}: image ${path}: ${reason}`);
  }
}

/** A path in a data file points outside the images root (e.g. `../../etc/passwd`). Never skippable. */
export class PathEscapeError extends R1RewardError {
  override name = 'PathEscapeError';
  constructor(
    readonly root: string,
    readonly relativePath: string,
  ) {
    super(
      'path_escape',
      `path ${JSON.stringify(relativePath)} escapes the images root ${root}; ` +
        'image paths must stay inside the root (pass the right --images-root, or fix the data file)',
    );
  }
}
