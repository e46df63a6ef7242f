// Every relative link in README.md and docs/*.md must resolve: the file exists, and a `#fragment`
// names a heading of the target (GitHub's slug) or an explicit `<a id="…">` anchor in it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('../..', import.meta.url).pathname;
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Drops fenced code blocks and inline code, where `[x](y)` is not a link. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens. */
export function slugOf(heading: string): string {
  return heading
    .replace(/<[^>]+>/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** Every fragment a link may name in a Markdown file: heading slugs (duplicates numbered) and `<a id>`s. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slugOf(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

/** The relative link targets of a Markdown file, inline `[text](target)` links and images. */
function linksOf(markdown: string): string[] {
  const targets: string[] = [];
  for (const match of withoutCode(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    targets.push(target);
  }
  return targets;
}

function brokenLinks(file: string): string[] {
  const markdown = readFileSync(join(ROOT, file), 'utf8');
  const problems: string[] = [];
  for (const target of linksOf(markdown)) {
    const [path = '', fragment] = target.split('#', 2);
    const resolved = path === '' ? join(ROOT, file) : join(ROOT, dirname(file), decodeURIComponent(path));
    if (!existsSync(resolved)) {
      problems.push(`${file}: (${target}) — no file ${relative(ROOT, resolved)}`);
      continue;
    }
    if (fragment === undefined || fragment === '') continue;
    if (!resolved.endsWith('.md') || statSync(resolved).isDirectory()) continue;
    const anchors = anchorsOf(readFileSync(resolved, 'utf8'));
    if (!anchors.has(decodeURIComponent(fragment)))
      problems.push(
        `${file}: (${target}) — no heading or anchor '#${fragment}' in ${relative(ROOT, resolved)}`,
      );
  }
  return problems;
}

describe('documentation links', () => {
  it('slugs headings as GitHub does', () => {
    assert.equal(
      slugOf('RL data: the hard samples, in both orders'),
      'rl-data-the-hard-samples-in-both-orders',
    );
    assert.equal(slugOf('The `small` preset (default)'), 'the-small-preset-default');
    assert.equal(slugOf('Step 1 — rollout'), 'step-1--rollout');
  });

  for (const file of DOCS)
    it(`${file}: every relative link resolves`, () => {
      assert.deepEqual(brokenLinks(file), []);
    });
});
