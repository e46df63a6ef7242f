// Draws a scene as a small RGB image: flat background, crisp shapes, one object per grid cell.
// Sizes are chosen so that shape, colour and size stay visually decidable at 32×32 and up.
import sharp from 'sharp';
import type { Color, Scene, SceneObject, Shape } from './scene.js';
import { colOf, rowOf } from './scene.js';

/** The synthetic images' background colour (RGB). */
export const BACKGROUND: readonly [number, number, number] = [24, 24, 24];
/** The RGB colour each colour name is drawn with. */
export const PALETTE: Record<Color, readonly [number, number, number]> = {
  red: [230, 50, 50],
  green: [60, 190, 70],
  blue: [60, 110, 245],
  yellow: [240, 220, 50],
};
/** Half-extent of an object as a fraction of the cell side. */
export const HALF_EXTENT = { small: 0.25, large: 0.4 } as const;

export interface ObjectPlacement {
  /** Centre in pixels (continuous coordinates; pixel (x, y) has its centre at x + 0.5, y + 0.5). */
  cx: number;
  cy: number;
  /** Half-extent in pixels. */
  r: number;
}

export function placement(object: SceneObject, size: number): ObjectPlacement {
  const cell = size / 3;
  return {
    cx: (colOf(object.cell) + 0.5) * cell,
    cy: (rowOf(object.cell) + 0.5) * cell,
    r: Math.max(1.5, HALF_EXTENT[object.size] * cell),
  };
}

function inside(shape: Shape, dx: number, dy: number, r: number): boolean {
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= r * r;
    case 'square':
      return Math.abs(dx) <= r * 0.75 && Math.abs(dy) <= r * 0.75;
    case 'triangle':
      // Apex up: height 2r, half-width at depth t below the apex is t/2.
      return dy <= r && dy >= -r && Math.abs(dx) <= (dy + r) / 2;
  }
}

/** Row-major RGB bytes of the scene at `size` × `size`. */
export function renderPixels(scene: Scene, size: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) pixels.set(BACKGROUND, i * 3);
  for (const object of scene.objects) {
    const { cx, cy, r } = placement(object, size);
    const color = PALETTE[object.color];
    const x0 = Math.max(0, Math.floor(cx - r - 1));
    const x1 = Math.min(size - 1, Math.ceil(cx + r + 1));
    const y0 = Math.max(0, Math.floor(cy - r - 1));
    const y1 = Math.min(size - 1, Math.ceil(cy + r + 1));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        if (inside(object.shape, x + 0.5 - cx, y + 0.5 - cy, r)) pixels.set(color, (y * size + x) * 3);
      }
    }
  }
  return pixels;
}

/** The scene as PNG bytes (deterministic: same scene and size, same bytes). */
export async function renderPng(scene: Scene, size: number): Promise<Buffer> {
  return sharp(renderPixels(scene, size), { raw: { width: size, height: size, channels: 3 } })
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
}
