// safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {k: v}}, then the
// raw little-endian tensor bytes. Reads check every bound; writes are atomic (temp file + rename).

import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { R1RewardError } from '../errors.js';
import { BYTES_PER_ELEMENT, type Device, type DType } from './dtype.js';
import { engine } from './native.js';
import { fromBytes, type Tensor } from './tensor.js';

const TO_DTYPE: Record<string, DType> = {
  F32: 'float32',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  BOOL: 'bool',
  F16: 'float16',
  BF16: 'bfloat16',
  U8: 'uint8',
};
const FROM_DTYPE: Record<DType, string> = Object.fromEntries(
  Object.entries(TO_DTYPE).map(([code, dtype]) => [dtype, code]),
) as Record<DType, string>;

/** Headers above this size are rejected as malformed (the reference implementation's limit). */
const MAX_HEADER_BYTES = 100_000_000;

/** A malformed or unreadable safetensors file; the message names the file and what is wrong. */
export class SafetensorsError extends R1RewardError {
  override name = 'SafetensorsError';
  constructor(path: string, detail: string) {
    super('safetensors', `${path}: not a valid safetensors file: ${detail}`);
  }
}

/** One tensor's entry in a safetensors header: dtype, shape and byte range. */
export interface SafetensorsEntry {
  dtype: DType;
  shape: number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

/** A safetensors file's parsed header: its tensors, its string metadata and where the data starts. */
export interface SafetensorsHeader {
  tensors: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Where the data section starts in the file. */
  dataStart: number;
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('safetensors I/O needs a little-endian host');
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

function parseHeader(
  path: string,
  json: string,
  dataLength: number,
  headerLength: number,
): SafetensorsHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new SafetensorsError(path, `the header is not JSON (${(error as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SafetensorsError(path, 'the header must be a JSON object');
  }
  const tensors: Record<string, SafetensorsEntry> = {};
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new SafetensorsError(path, '__metadata__ must be an object of strings');
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new SafetensorsError(path, `__metadata__.${k} must be a string`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (entry === null || typeof entry !== 'object')
      throw new SafetensorsError(path, `tensor '${name}' is not an object`);
    const dtype = typeof entry.dtype === 'string' ? TO_DTYPE[entry.dtype] : undefined;
    if (dtype === undefined) {
      throw new SafetensorsError(
        path,
        `tensor '${name}' has unsupported dtype ${JSON.stringify(entry.dtype)} (supported: ${Object.keys(TO_DTYPE).join(', ')})`,
      );
    }
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(path, `tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
    }
    const offsets = entry.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw new SafetensorsError(path, `tensor '${name}' has bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw new SafetensorsError(
        path,
        `tensor '${name}' ends at byte ${end} of the data section, but the file holds only ${dataLength} data bytes (truncated?)`,
      );
    }
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype];
    if (end - begin !== expected) {
      throw new SafetensorsError(
        path,
        `tensor '${name}' spans ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`,
      );
    }
    tensors[name] = { dtype, shape: shape as number[], begin, end };
    ranges.push([begin, end, name]);
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < ranges.length; i++) {
    const previous = ranges[i - 1]!;
    const current = ranges[i]!;
    if (current[0] < previous[1]) {
      throw new SafetensorsError(path, `tensors '${previous[2]}' and '${current[2]}' overlap`);
    }
  }
  return { tensors, metadata, dataStart: 8 + headerLength };
}

function readHeaderFrom(fd: number, path: string): SafetensorsHeader {
  const size = fstatSync(fd).size;
  if (size < 8)
    throw new SafetensorsError(path, `the file has ${size} bytes, fewer than the 8-byte header length`);
  const headerLength = Number(readExactly(fd, 8, 0).readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      path,
      `the header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  if (8 + headerLength > size) {
    throw new SafetensorsError(
      path,
      `the header length ${headerLength} runs past the end of the ${size}-byte file`,
    );
  }
  const json = readExactly(fd, headerLength, 8).toString('utf8');
  return parseHeader(path, json, size - 8 - headerLength, headerLength);
}

/** The header only: names, dtypes, shapes and metadata, without reading tensor data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openSync(path, 'r');
  try {
    return readHeaderFrom(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** Every tensor in the file (or only `names`), on options.device (default cpu). */
export function loadSafetensors(
  path: string,
  options: { device?: Device; names?: readonly string[] } = {},
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  checkLittleEndian();
  engine();
  const fd = openSync(path, 'r');
  try {
    const header = readHeaderFrom(fd, path);
    const names = options.names ?? Object.keys(header.tensors);
    const tensors: Record<string, Tensor> = {};
    for (const name of names) {
      const entry = header.tensors[name];
      if (entry === undefined) throw new SafetensorsError(path, `it has no tensor named '${name}'`);
      const bytes = readExactly(fd, entry.end - entry.begin, header.dataStart + entry.begin);
      tensors[name] = fromBytes(
        bytes,
        entry.dtype,
        entry.shape,
        options.device ? { device: options.device } : {},
      );
    }
    return { tensors, metadata: header.metadata };
  } finally {
    closeSync(fd);
  }
}

/** Writes named tensors (any device; copied to CPU) atomically: a temp file renamed over path. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  checkLittleEndian();
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__')
      throw new TypeError("saveSafetensors: '__metadata__' is reserved, not a tensor name");
    const t = tensors[name]!;
    const bytes = engine().toBytes(t.handle);
    header[name] = {
      dtype: FROM_DTYPE[t.dtype],
      shape: t.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    offset += bytes.length;
    blobs.push(bytes);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(jsonBytes.length));
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    for (const chunk of [length, jsonBytes, ...blobs]) {
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {}
    rmSync(temp, { force: true });
    throw error;
  }
}
