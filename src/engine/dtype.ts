// Element types and devices, with the numeric codes the native addon uses (native/engine.cc kDtypes).

/** A tensor element type (PyTorch's names). */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'float16' | 'bfloat16' | 'uint8';

/** 'cpu', 'cuda' (the current CUDA device) or 'cuda:N'. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/** The names of {@link Device}. */
export const DEVICE_PATTERN = /^(cpu|cuda(:\d+)?)$/;

/** `name` as a {@link Device}, or a RangeError that names `where` and what is accepted. */
export function checkDevice(name: string, where: string): Device {
  if (DEVICE_PATTERN.test(name)) return name as Device;
  throw new RangeError(`${where}: unknown device '${name}': use 'cpu', 'cuda' or 'cuda:N'`);
}

/** Every {@link DType}, in the native addon's code order. */
export const DTYPES: readonly DType[] = [
  'float32',
  'float64',
  'int64',
  'int32',
  'bool',
  'float16',
  'bfloat16',
  'uint8',
];

export function dtypeCode(dtype: DType): number {
  const code = DTYPES.indexOf(dtype);
  if (code < 0) throw new TypeError(`unknown dtype '${String(dtype)}': use one of ${DTYPES.join(', ')}`);
  return code;
}

export function dtypeFromCode(code: number): DType {
  const dtype = DTYPES[code];
  if (dtype === undefined) throw new TypeError(`the engine returned an unsupported dtype code ${code}`);
  return dtype;
}

/** Bytes per element of each dtype. */
export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  bool: 1,
  float16: 2,
  bfloat16: 2,
  uint8: 1,
};

/**
 * Whether a dtype is a floating-point type (float16/32/64, bfloat16): the ones that can require gradients.
 */
export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}
