// The API reference (npm run docs:api) is generated from src/index.ts by typedoc. This test converts
// the same project with the same typedoc.json and fails where the reference would be poor: any typedoc
// warning (a public signature naming a type that is not exported, a broken {@link}), or a public
// export — or a member of the `engine` / `engine.nn` namespaces — without a doc comment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Application,
  type DeclarationReflection,
  Logger,
  LogLevel,
  type ProjectReflection,
  ReflectionKind,
  TSConfigReader,
  TypeDocReader,
} from 'typedoc';

const ROOT = new URL('../..', import.meta.url).pathname;

class CollectingLogger extends Logger {
  readonly messages: string[] = [];
  override log(message: string, level: Exclude<LogLevel, LogLevel.None>): void {
    super.log(message, level);
    if (level >= LogLevel.Warn) this.messages.push(message);
  }
}

const hasDocComment = (r: DeclarationReflection): boolean =>
  Boolean(r.comment?.summary.length) ||
  Boolean(r.signatures?.some((s) => s.comment?.summary.length)) ||
  Boolean(r.getSignature?.comment?.summary.length);

/** Top-level exports, and the members of exported namespaces (engine, engine.nn). */
function publicDeclarations(project: ProjectReflection): DeclarationReflection[] {
  const out: DeclarationReflection[] = [];
  const visit = (children: DeclarationReflection[] | undefined) => {
    for (const child of children ?? []) {
      // A re-export (engine.probeLibtorch) links to its documented original.
      if (!child.kindOf(ReflectionKind.Reference)) out.push(child);
      if (child.kindOf(ReflectionKind.Namespace)) visit(child.children);
    }
  };
  visit(project.children);
  return out;
}

describe('API reference (typedoc)', () => {
  it('converts src/index.ts without warnings, and every public export has a doc comment', async () => {
    const cwd = process.cwd();
    process.chdir(ROOT); // typedoc.json's paths are relative to the repository root
    try {
      const app = await Application.bootstrapWithPlugins({ logLevel: 'Warn' }, [
        new TypeDocReader(),
        new TSConfigReader(),
      ]);
      const logger = new CollectingLogger();
      app.logger = logger;
      const project = await app.convert();
      assert.ok(project, `typedoc could not convert src/index.ts:\n${logger.messages.join('\n')}`);
      app.validate(project);
      assert.deepEqual(logger.messages, [], 'typedoc warnings (npm run docs:api fails on these)');

      const undocumented = publicDeclarations(project)
        .filter((r) => !hasDocComment(r))
        .map((r) => `${r.getFriendlyFullName()} (${ReflectionKind.singularString(r.kind)})`);
      assert.deepEqual(
        undocumented,
        [],
        `${undocumented.length} public exports have no doc comment (/** … */ above the declaration):\n  ${undocumented.join('\n  ')}`,
      );
      assert.ok(publicDeclarations(project).length > 150, 'the public API looks truncated');
    } finally {
      process.chdir(cwd);
    }
  });
});
