import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  capPixels,
  checkedRealPath,
  ImageError,
  imageToDataUrl,
  imageToFloatPixels,
  inspectImage,
  PathEscapeError,
  resolveUnderRoot,
  uniformFrameIndices,
} from '../../src/data/index.js';
import { pngHeaderOnly, solidImage, tempFolder, twoFrameGif } from './fixtures.js';

const dir = tempFolder('images');

function decodeDataUrl(url: string): { mime: string; bytes: Buffer } {
  const match = /^data:([^;]+);base64,(.+)$/.exec(url);
  assert.ok(match, `not a data URL: ${url.slice(0, 40)}`);
  return { mime: match[1]!, bytes: Buffer.from(match[2]!, 'base64') };
}

describe('imageToDataUrl', () => {
  it('passes PNG, JPEG and WebP through byte for byte when they fit', async () => {
    for (const [format, mime] of [
      ['png', 'image/png'],
      ['jpeg', 'image/jpeg'],
      ['webp', 'image/webp'],
    ] as const) {
      const bytes = await solidImage(format);
      const path = join(dir, `pass.${format}`);
      writeFileSync(path, bytes);
      const out = decodeDataUrl(await imageToDataUrl(path));
      assert.equal(out.mime, mime);
      assert.deepEqual(out.bytes, bytes);
      assert.deepEqual(decodeDataUrl(await imageToDataUrl(new Uint8Array(bytes))).bytes, bytes);
    }
  });

  it('turns a GIF into its first frame as PNG', async () => {
    const out = decodeDataUrl(await imageToDataUrl(await twoFrameGif(4, 4)));
    assert.equal(out.mime, 'image/png');
    const { data, info } = await sharp(out.bytes).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.height, 4, 'only the first frame');
    assert.ok(data[0]! > 200 && data[2]! < 50, `first frame is red, got ${[...data.subarray(0, 3)]}`);
  });

  it('caps the pixel count keeping the aspect ratio', async () => {
    const out = decodeDataUrl(await imageToDataUrl(await solidImage('png', 200, 100), { maxPixels: 5000 }));
    const meta = await sharp(out.bytes).metadata();
    assert.deepEqual([meta.width, meta.height], [100, 50]);
    const jpeg = decodeDataUrl(await imageToDataUrl(await solidImage('jpeg', 200, 100), { maxPixels: 5000 }));
    assert.equal(jpeg.mime, 'image/jpeg');
  });

  it('refuses oversized input before decoding it', async () => {
    const bomb = pngHeaderOnly(50_000, 50_000);
    await assert.rejects(
      imageToDataUrl(bomb),
      (e: Error) =>
        e instanceof ImageError &&
        /50000×50000 = 2500000000 pixels is above maxInputPixels=64000000 \(refused before decoding\)/.test(
          e.message,
        ),
    );
    const path = join(dir, 'big.png');
    writeFileSync(path, await solidImage('png', 64, 64));
    await assert.rejects(
      imageToDataUrl(path, { maxInputBytes: 10 }),
      /big\.png: \d+ bytes is above maxInputBytes=10/,
    );
  });

  it('names the path of a missing, undecodable or unsupported image', async () => {
    await assert.rejects(imageToDataUrl(join(dir, 'nope.png')), /image .*nope\.png: file not found/);
    const junk = join(dir, 'junk.png');
    writeFileSync(junk, 'not an image');
    await assert.rejects(imageToDataUrl(junk), /image .*junk\.png: cannot decode/);
    const tiff = join(dir, 'scan.tiff');
    writeFileSync(tiff, await solidImage('tiff'));
    await assert.rejects(imageToDataUrl(tiff), /scan\.tiff: format tiff is not one of png, jpeg, webp, gif/);
  });
});

describe('imageToFloatPixels', () => {
  it('gives CHW floats in [0, 1], padded to keep the aspect ratio', async () => {
    const pixels = await imageToFloatPixels(await solidImage('png', 4, 2, [255, 0, 51]), {
      width: 4,
      height: 4,
    });
    assert.equal(pixels.data.length, 3 * 16);
    const at = (c: number, y: number, x: number) => pixels.data[c * 16 + y * 4 + x]!;
    assert.equal(at(0, 1, 1), 1);
    assert.equal(at(1, 1, 1), 0);
    assert.ok(Math.abs(at(2, 1, 1) - 0.2) < 1e-6);
    assert.equal(at(0, 0, 0), 0, 'top row is black padding');
  });

  it('decodes grayscale and alpha images to three channels', async () => {
    const gray = await sharp({
      create: { width: 2, height: 2, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 1 } },
    })
      .grayscale()
      .png()
      .toBuffer();
    const pixels = await imageToFloatPixels(gray, { width: 2, height: 2 });
    assert.equal(pixels.data.length, 12);
  });

  it('rejects a non-positive size', async () => {
    await assert.rejects(
      imageToFloatPixels(await solidImage('png'), { width: 0, height: 4 }),
      /positive integers/,
    );
  });
});

describe('inspectImage and capPixels', () => {
  it('reads format and size from the header', async () => {
    const info = await inspectImage(await solidImage('webp', 7, 5));
    assert.deepEqual([info.format, info.width, info.height], ['webp', 7, 5]);
  });

  it('never upscales and keeps the ratio', () => {
    assert.deepEqual(capPixels(10, 10, 1000), { width: 10, height: 10 });
    assert.deepEqual(capPixels(2000, 1000, 501_760), { width: 1001, height: 500 });
    assert.throws(() => capPixels(1, 1, 0), /maxPixels must be ≥ 1/);
  });
});

describe('resolveUnderRoot', () => {
  const root = join(dir, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });

  it('resolves paths inside the root', () => {
    assert.equal(resolveUnderRoot(root, 'sub/a.png'), join(root, 'sub', 'a.png'));
    assert.equal(resolveUnderRoot(root, join(root, 'sub', 'a.png')), join(root, 'sub', 'a.png'));
    assert.equal(resolveUnderRoot(root, 'sub/../b.png'), join(root, 'b.png'));
  });

  it('rejects paths that escape the root', () => {
    for (const bad of ['../x.png', 'sub/../../x.png', '/etc/passwd', '..', '.', '', 'a\0.png']) {
      assert.throws(() => resolveUnderRoot(root, bad), PathEscapeError, bad);
    }
    assert.throws(() => resolveUnderRoot(root, '../x.png'), /path "\.\.\/x\.png" escapes the images root/);
  });

  it('rejects a symbolic link that leads outside the root', async () => {
    writeFileSync(join(dir, 'outside.png'), await solidImage('png'));
    symlinkSync(join(dir, 'outside.png'), join(root, 'link.png'));
    await assert.rejects(checkedRealPath(root, 'link.png'), PathEscapeError);
  });
});

describe('uniformFrameIndices', () => {
  it('matches np.linspace(0, total - 1, 32, dtype=int) as the released code samples frames', () => {
    assert.deepEqual(
      uniformFrameIndices(40, 32),
      [
        0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17, 18, 20, 21, 22, 23, 25, 26, 27, 28, 30, 31, 32,
        33, 35, 36, 37, 39,
      ],
    );
    assert.deepEqual(
      uniformFrameIndices(100, 32),
      [
        0, 3, 6, 9, 12, 15, 19, 22, 25, 28, 31, 35, 38, 41, 44, 47, 51, 54, 57, 60, 63, 67, 70, 73, 76, 79,
        83, 86, 89, 92, 95, 99,
      ],
    );
    assert.deepEqual(
      uniformFrameIndices(10, 32),
      [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9],
    );
    assert.deepEqual(uniformFrameIndices(0, 32), []);
  });
});
