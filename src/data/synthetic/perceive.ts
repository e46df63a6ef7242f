// Reads a rendered scene back from its pixels alone: per grid cell, the colour (nearest palette
// entry) and the (shape, size) whose silhouette matches best. Tests use it to show that every fact,
// and so every flaw, is decidable from the image. Slow (renders templates), for tests and checks.
import { BACKGROUND, PALETTE, renderPixels } from './render.js';
import { COLORS, type Color, type Scene, type SceneObject, SHAPES, SIZES } from './scene.js';

function nearestColor(r: number, g: number, b: number): Color | undefined {
  const dist = (c: readonly number[]) => (c[0]! - r) ** 2 + (c[1]! - g) ** 2 + (c[2]! - b) ** 2;
  let best: Color | undefined;
  let bestDist = dist(BACKGROUND);
  for (const color of COLORS) {
    const d = dist(PALETTE[color]);
    if (d < bestDist) {
      best = color;
      bestDist = d;
    }
  }
  return best;
}

type Mask = Uint8Array;

/** Which pixels of a `size` × `size` image an object covers. */
function objectMask(object: SceneObject, size: number): Mask {
  const pixels = renderPixels({ objects: [object] }, size);
  const mask = new Uint8Array(size * size);
  for (let i = 0; i < mask.length; i++)
    mask[i] = pixels[i * 3] === BACKGROUND[0] && pixels[i * 3 + 2] === BACKGROUND[2] ? 0 : 1;
  return mask;
}

function hamming(a: Mask, b: Mask): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += a[i] === b[i] ? 0 : 1;
  return d;
}

/** Smallest number of pixels by which two different (shape, size) silhouettes differ at `size`. */
export function silhouetteMargin(size: number): number {
  const masks = SHAPES.flatMap((shape) =>
    SIZES.map((s) => objectMask({ shape, size: s, color: 'red', cell: 4 }, size)),
  );
  let margin = Number.POSITIVE_INFINITY;
  for (let i = 0; i < masks.length; i++)
    for (let j = i + 1; j < masks.length; j++) margin = Math.min(margin, hamming(masks[i]!, masks[j]!));
  return margin;
}

/**
 * The scene as seen in row-major RGB `pixels` of a `size` × `size` image: per cell, the majority
 * colour of the non-background pixels, and the (shape, size) whose silhouette matches best.
 */
export function perceiveScene(pixels: Uint8Array, size: number): Scene {
  const objects: SceneObject[] = [];
  const cellSide = size / 3;
  for (let cell = 0; cell < 9; cell++) {
    const x0 = Math.floor((cell % 3) * cellSide);
    const x1 = Math.floor(((cell % 3) + 1) * cellSide);
    const y0 = Math.floor(Math.floor(cell / 3) * cellSide);
    const y1 = Math.floor((Math.floor(cell / 3) + 1) * cellSide);
    const votes = new Map<Color, number>();
    const mask = new Uint8Array(size * size);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * size + x;
        const color = nearestColor(pixels[i * 3]!, pixels[i * 3 + 1]!, pixels[i * 3 + 2]!);
        if (color === undefined) continue;
        votes.set(color, (votes.get(color) ?? 0) + 1);
        mask[i] = 1;
      }
    }
    if (votes.size === 0) continue;
    const color = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    let best: SceneObject | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const shape of SHAPES) {
      for (const objectSize of SIZES) {
        const candidate: SceneObject = { shape, color, size: objectSize, cell };
        const distance = hamming(mask, objectMask(candidate, size));
        if (distance < bestDistance) {
          best = candidate;
          bestDistance = distance;
        }
      }
    }
    objects.push(best!);
  }
  return { objects };
}
