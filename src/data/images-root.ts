// Image paths in data files are resolved under a root the user chooses, and may never leave it.
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { PathEscapeError } from './errors.js';

function isInside(root: string, full: string): boolean {
  const rel = relative(root, full);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The absolute path of `relativePath` under `root`. Throws `PathEscapeError` when the path leaves the
 * root (`..`, or an absolute path elsewhere), names the root itself, or contains a NUL byte.
 * Lexical only: `checkedRealPath` also follows symbolic links.
 */
export function resolveUnderRoot(root: string, relativePath: string): string {
  if (relativePath === '' || relativePath.includes('\0')) throw new PathEscapeError(root, relativePath);
  const base = resolve(root);
  const full = resolve(base, relativePath);
  if (!isInside(base, full)) throw new PathEscapeError(root, relativePath);
  return full;
}

/** Like `resolveUnderRoot`, and the file's real path (symbolic links followed) must stay inside too. */
export async function checkedRealPath(root: string, relativePath: string): Promise<string> {
  const full = resolveUnderRoot(root, relativePath);
  const [realRoot, realFull] = await Promise.all([realpath(resolve(root)), realpath(full)]);
  if (!isInside(realRoot, realFull)) throw new PathEscapeError(root, relativePath);
  return full;
}
