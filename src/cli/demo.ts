// `r1-reward demo`: the whole pipeline on the synthetic world (src/experiments/demo/pipeline.ts); wiring only.
import { type Command, Option } from 'commander';
import {
  DEFAULT_DEMO_PRESET,
  DEMO_PRESETS,
  type DemoPresetName,
  demoConfig,
} from '../experiments/demo/config.js';
import { runDemo } from '../experiments/demo/pipeline.js';
import { formatSummary } from '../experiments/demo/report.js';
import { addThreadsOption, numberOption, withExitCodes } from './options.js';
import { reportErrors } from './train.js';

export function registerDemo(program: Command): void {
  const command = program
    .command('demo')
    .description(
      'end to end on the synthetic world: data → tokenizer → SFT → StableReinforce RL → held-out evaluation → report.html (a rerun resumes)',
    )
    .addOption(
      new Option('--preset <name>', 'tiny (seconds), small (≤ 20 min on 2 cores), large (hours)')
        .choices([...DEMO_PRESETS])
        .default(DEFAULT_DEMO_PRESET),
    )
    .option('--out <dir>', 'run folder (default: runs/demo-PRESET)')
    .option('--seed <n>', 'random seed', numberOption('--seed', Number.isSafeInteger, 'an integer'), 1);
  addThreadsOption(command);
  withExitCodes(command).action(
    (o: { preset: DemoPresetName; out?: string; seed: number; threads?: number }) =>
      reportErrors(async () => {
        const config = demoConfig(o.preset, {
          seed: o.seed,
          ...(o.out ? { outDir: o.out } : {}),
          ...(o.threads !== undefined ? { threads: o.threads } : {}),
        });
        const started = performance.now();
        let lastPrint = 0;
        const summary = await runDemo(config, {
          onPhase: (phase, skipped) =>
            console.error(`[demo] ${phase}${skipped ? ': done earlier, skipped' : ''}`),
          onBestOfN: (step) => console.error(`[demo] best-of-n: ${step}`),
          onStep: (phase, step, total, text) => {
            const now = performance.now();
            if (now - lastPrint < 10_000 && step + 1 < total) return;
            lastPrint = now;
            console.error(`[demo] ${phase} step ${step + 1}/${total} ${text}`);
          },
        });
        console.log(formatSummary(summary));
        console.error(`[demo] finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }),
  );
}
