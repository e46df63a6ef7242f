// `r1-reward data …`: build the synthetic world, and check a benchmark file (counts, skipped items).
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BENCHMARK_NAMES, readBenchmark } from '../data/benchmarks.js';
import {
  DEFAULT_WORLD,
  formatSynthSummary,
  onlyKinds,
  QUESTION_KINDS,
  type QuestionKind,
  writeSyntheticWorld,
} from '../data/synthetic/index.js';
import type { BenchmarkName } from '../data/types.js';
import {
  addDataOption,
  addImagesRootOption,
  deprecatedAlias,
  integerAtLeast,
  runAction,
  withExitCodes,
} from './options.js';

function parseKinds(value: string): QuestionKind[] {
  const kinds = value.split(',').map((k) => k.trim());
  for (const kind of kinds) {
    if (!QUESTION_KINDS.includes(kind as QuestionKind))
      throw new InvalidArgumentError(
        `unknown question kind '${kind}'; expected some of ${QUESTION_KINDS.join(', ')}`,
      );
  }
  return kinds as QuestionKind[];
}

function parseTeacherError(value: string): [number, number, number] {
  const ps = value.split(',').map((p) => Number(p.trim()));
  if (ps.length !== 3 || !ps.every((p) => Number.isFinite(p) && p >= 0 && p <= 1))
    throw new InvalidArgumentError(
      `--teacher-error takes three probabilities in [0, 1] (hardness 0, 1, 2), e.g. 0.05,0.25,0.5; got '${value}'`,
    );
  return ps as [number, number, number];
}

export function registerData(program: Command): void {
  const data = program.command('data').description('synthetic preference world and benchmark files');

  const synth = data
    .command('synth')
    .description('generate the synthetic multimodal preference world (images, SFT/RL splits, benchmark)')
    .requiredOption('--out <dir>', 'output folder (must not exist or be empty)')
    .option('--seed <s>', 'random seed', integerAtLeast('--seed', 0), DEFAULT_WORLD.seed)
    .option('--n <n>', 'training samples', integerAtLeast('--n', 0), DEFAULT_WORLD.trainSize)
    .option(
      '--bench-n <n>',
      'held-out benchmark pairs',
      integerAtLeast('--bench-n', 0),
      DEFAULT_WORLD.benchmarkSize,
    )
    .option(
      '--image-size <px>',
      'image side in pixels (≥ 32)',
      integerAtLeast('--image-size', 32),
      DEFAULT_WORLD.imageSize,
    )
    .option(
      '--kinds <list>',
      `question kinds to train on, comma-separated (default: all but cell): ${QUESTION_KINDS.join(', ')}; the benchmark then tests the error kinds they carry`,
      parseKinds,
    )
    .option('--look-at-cell', "the teacher looks again at a claim's cell on each response's line")
    .option(
      '--attribute-pairs',
      'with --look-at-cell: compare attribute by attribute ("large/small differs") up to the first that differs',
    )
    .option(
      '--teacher-error <p0,p1,p2>',
      `probability that one teacher attempt errs, by hardness 0, 1, 2 (default: ${DEFAULT_WORLD.teacher.errorByHardness.join(',')}); 1 = a blind spot: no traces, labels only`,
      parseTeacherError,
    )
    .option('--json', 'print the summary as JSON');
  withExitCodes(synth).action(
    runAction(
      async (options: {
        out: string;
        seed: number;
        n: number;
        benchN: number;
        imageSize: number;
        kinds?: QuestionKind[];
        lookAtCell?: boolean;
        attributePairs?: boolean;
        teacherError?: [number, number, number];
        json?: boolean;
      }) => {
        const config = {
          ...DEFAULT_WORLD,
          seed: options.seed,
          trainSize: options.n,
          benchmarkSize: options.benchN,
          imageSize: options.imageSize,
          ...(options.kinds ? { kindWeights: onlyKinds(options.kinds) } : {}),
          teacher: {
            ...DEFAULT_WORLD.teacher,
            lookAtCell: options.lookAtCell === true,
            attributePairs: options.attributePairs === true,
            ...(options.teacherError ? { errorByHardness: options.teacherError } : {}),
          },
        };
        const summary = await writeSyntheticWorld(options.out, config);
        console.log(
          options.json ? JSON.stringify(summary, null, 2) : formatSynthSummary(summary, options.out),
        );
      },
    ),
  );

  const check = data
    .command('check')
    .description('read a benchmark file through its loader: items per category, skipped items, first error')
    .addOption(
      new Option('--benchmark <name>', 'which benchmark').choices([...BENCHMARK_NAMES]).makeOptionMandatory(),
    );
  addDataOption(check, 'the benchmark data file');
  addImagesRootOption(check)
    .option(
      '--skip-missing',
      'skip items whose images are missing, undecodable or outside the images folder, and count them',
    )
    .option('--no-check-images', 'read the text only: resolve image paths but do not open them')
    .option('--json', 'print the counts as JSON');
  deprecatedAlias(check, '--file <path>', '--data');
  withExitCodes(check).action(
    runAction(
      async (options: {
        benchmark: BenchmarkName;
        data: string;
        imagesRoot?: string;
        skipMissing?: boolean;
        checkImages: boolean;
        json?: boolean;
      }) => {
        const categories: Record<string, number> = {};
        const skipped: { id: string; reason: string }[] = [];
        let items = 0;
        const pairs = readBenchmark(options.benchmark, options.data, {
          ...(options.imagesRoot ? { imagesRoot: options.imagesRoot } : {}),
          skipMissing: options.skipMissing ?? false,
          checkImages: options.checkImages,
          onSkip: (id, reason) => skipped.push({ id, reason }),
        });
        for await (const pair of pairs) {
          items += 1;
          const key = pair.category ?? '(none)';
          categories[key] = (categories[key] ?? 0) + 1;
        }
        const report = {
          file: options.data,
          items,
          categories,
          skipped: skipped.length,
          skippedItems: skipped.slice(0, 20),
        };
        if (options.json) {
          console.log(JSON.stringify(report, null, 2));
          return;
        }
        console.log(`${options.data}: ${items} items`);
        for (const [category, n] of Object.entries(categories)) console.log(`  ${category}: ${n}`);
        console.log(`  skipped: ${skipped.length}`);
        for (const s of skipped.slice(0, 20)) console.log(`    ${s.reason}`);
      },
    ),
  );
}
