// Small images and folders the data tests build for themselves (no committed binaries).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { deflateSync } from 'node:zlib';
import sharp, { type SharpOptions } from 'sharp';

/** A fresh temporary folder, removed when the test file ends. */
export function tempFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `r1-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A solid-colour image in the given format. */
export function solidImage(
  format: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff',
  width = 4,
  height = 3,
  color: [number, number, number] = [200, 30, 30],
): Promise<Buffer> {
  const [r, g, b] = color;
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .toFormat(format)
    .toBuffer();
}

/** A 2-frame animated GIF: frame 1 red, frame 2 blue, each `width` × `height`. */
export async function twoFrameGif(width = 4, height = 4): Promise<Buffer> {
  const frame = (r: number, b: number) => {
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) pixels.set([r, 0, b], i * 3);
    return pixels;
  };
  return sharp(Buffer.concat([frame(255, 0), frame(0, 255)]), {
    raw: { width, height: height * 2, channels: 3, pageHeight: height },
  } as SharpOptions)
    .gif()
    .toBuffer();
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A tiny PNG whose header declares width × height (no pixel data): a decompression-bomb stand-in. */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64))), // the first rows only: a bomb never ships its pixels
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
