// The layering of src/ is the table under "## Layers" in docs/architecture.md, read by this test so the
// document and the check cannot drift: a folder (or a file directly under src/) may import only the rows
// above its own. Every relative import of every src/**/*.ts is parsed with TypeScript's own pre-processor
// (static, type-only, re-export and dynamic imports alike) and checked against that order.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = new URL('../..', import.meta.url).pathname;
const DOC = 'docs/architecture.md';

/** The layer table's entries in order, each as its unit name: `src/judge/` → 'judge', `src/version.ts` → 'version.ts'. */
export function readLayers(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Layers'));
  if (section === undefined)
    throw new Error(`${DOC} has no "## Layers" section: the import graph is read from it`);
  const layers: string[] = [];
  for (const line of section.split('\n')) {
    const cell = /^\|\s*\d+\s*\|\s*`src\/([^`/]+)\/?`/.exec(line);
    if (cell?.[1] !== undefined) layers.push(cell[1]);
  }
  if (layers.length === 0) throw new Error(`${DOC}'s "## Layers" table lists no \`src/…\` rows`);
  return layers;
}

/** The unit a src-relative path belongs to: its first segment ('judge' for judge/prompt.ts, 'version.ts'). */
const unitOf = (srcRelative: string): string => srcRelative.split('/')[0] ?? srcRelative;

/** One file's text, keyed by its path relative to src/ with '/' separators. */
export type SourceFiles = ReadonlyMap<string, string>;

/** Every import that runs against the layer order, or names a unit the table does not list. */
export function violations(files: SourceFiles, layers: readonly string[]): string[] {
  const rank = new Map(layers.map((unit, i) => [unit, i]));
  const found: string[] = [];
  for (const [file, text] of files) {
    const from = unitOf(file);
    const fromRank = rank.get(from);
    if (fromRank === undefined) {
      found.push(`src/${file}: src/${from} is not a row of ${DOC}'s layer table; add it where it belongs`);
      continue;
    }
    for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      if (target.startsWith('..')) continue; // outside src/
      const to = unitOf(target).replace(/\.js$/, '.ts'); // a file directly under src/, named as emitted
      if (to === from) continue;
      const toRank = rank.get(to);
      if (toRank === undefined || toRank >= fromRank) {
        found.push(
          `src/${file} imports '${specifier}': ${from} (layer ${fromRank}) may not import ${to} ` +
            `(${toRank === undefined ? 'not in the table' : `layer ${toRank}`}); see ${DOC}`,
        );
      }
    }
  }
  return found;
}

function readSources(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readSources(path, out);
    else if (entry.name.endsWith('.ts'))
      out.set(relative(join(ROOT, 'src'), path).split(sep).join('/'), readFileSync(path, 'utf8'));
  }
  return out;
}

describe('import graph', () => {
  const layers = readLayers(readFileSync(join(ROOT, DOC), 'utf8'));

  it('every src/ import runs down the layers of docs/architecture.md', () => {
    const found = violations(readSources(join(ROOT, 'src')), layers);
    assert.deepEqual(found, [], `imports against the layering:\n${found.join('\n')}`);
  });

  it('the table lists each src/ folder and file once', () => {
    assert.equal(new Set(layers).size, layers.length, `a row repeats: ${layers.join(', ')}`);
    for (const entry of readdirSync(join(ROOT, 'src'))) {
      assert.ok(layers.includes(entry), `src/${entry} has no row in ${DOC}'s layer table`);
    }
  });

  it('reports an upward import with its file and specifier', () => {
    const files = new Map([
      ['algo/a.ts', "import { x } from '../model/m.js';"],
      ['model/m.ts', "import type { a } from '../algo/a.js';\nexport const x = await import('./own.js');"],
      ['cli/c.ts', "export * from '../model/m.js';\nimport 'zod';"],
      ['extra/e.ts', ''],
    ]);
    assert.deepEqual(violations(files, ['algo', 'model', 'cli']), [
      `src/algo/a.ts imports '../model/m.js': algo (layer 0) may not import model (layer 1); see ${DOC}`,
      `src/extra/e.ts: src/extra is not a row of ${DOC}'s layer table; add it where it belongs`,
    ]);
  });

  it('reads the layer rows in order from the document', () => {
    const doc =
      '# A\n\n## Layers\n\n| layer | folder |\n| - | - |\n| 0 | `src/algo/` |\n| 1 | `src/version.ts` |\n\n## Next\n| 2 | `src/no/` |\n';
    assert.deepEqual(readLayers(doc), ['algo', 'version.ts']);
  });
});
