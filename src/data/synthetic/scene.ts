// A scene: a few objects, each with a shape, colour and size, in distinct cells of a 3×3 grid.
// Every fact is known to the generator; the renderer draws exactly these facts.
import type { Rng } from '../../algo/random.js';

/** The object colours of the synthetic world. */
export const COLORS = ['red', 'green', 'blue', 'yellow'] as const;
/** The object shapes of the synthetic world. */
export const SHAPES = ['circle', 'square', 'triangle'] as const;
/** The object sizes of the synthetic world. */
export const SIZES = ['small', 'large'] as const;
/** A colour of {@link COLORS}. */
export type Color = (typeof COLORS)[number];
/** A shape of {@link SHAPES}. */
export type Shape = (typeof SHAPES)[number];
/** A size of {@link SIZES}. */
export type Size = (typeof SIZES)[number];

/** Grid cells, row-major: 0 = top left … 8 = bottom right. */
export const CELL_NAMES = [
  'top left',
  'top',
  'top right',
  'left',
  'center',
  'right',
  'bottom left',
  'bottom',
  'bottom right',
] as const;

/** One object of a scene: shape, colour, size and its cell on the 3 × 3 grid. */
export interface SceneObject {
  shape: Shape;
  color: Color;
  size: Size;
  /** 0–8, row-major in the 3×3 grid. */
  cell: number;
}

/** A synthetic image's content: every fact the renderer draws and the questions ask about. */
export interface Scene {
  objects: SceneObject[];
}

export const rowOf = (cell: number): number => Math.floor(cell / 3);
export const colOf = (cell: number): number => cell % 3;

/** A scene of `count` objects in distinct random cells. */
export function sampleScene(rng: Rng, count: number): Scene {
  const cells = rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8]).slice(0, count);
  return {
    objects: cells.map((cell) => ({
      shape: rng.pick(SHAPES),
      color: rng.pick(COLORS),
      size: rng.pick(SIZES),
      cell,
    })),
  };
}

/** A way to refer to objects: by colour, by shape, or both ("the red circle"). */
export interface ObjectRef {
  color?: Color;
  shape?: Shape;
}

export function matches(object: SceneObject, ref: ObjectRef): boolean {
  return (
    (ref.color === undefined || object.color === ref.color) &&
    (ref.shape === undefined || object.shape === ref.shape)
  );
}

/** The one object a reference picks out, or undefined when none or several match. */
export function uniqueObject(scene: Scene, ref: ObjectRef): SceneObject | undefined {
  const found = scene.objects.filter((o) => matches(o, ref));
  return found.length === 1 ? found[0] : undefined;
}

/** "the red circle", "the circle", "the red object". */
export function refText(ref: ObjectRef): string {
  if (ref.color && ref.shape) return `the ${ref.color} ${ref.shape}`;
  if (ref.shape) return `the ${ref.shape}`;
  return `the ${ref.color} object`;
}
