// `r1-reward experiment ablation`: the StableReinforce ablation (src/experiments/ablation.ts); wiring only.
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Device } from '../engine/index.js';
import {
  type AblationConfig,
  ARMS,
  type ArmName,
  planRuns,
  runAblation,
  SETTINGS,
  type SettingName,
} from '../experiments/ablation.js';
import { inShard, type Shard } from '../experiments/shard.js';
import type { PresetName } from '../model/config.js';
import { registerPolicyExperiment, registerPolicyRlExperiment } from './experiment-policy.js';
import { addThreadsOption, commaList, positiveInteger, shardOption, withExitCodes } from './options.js';
import { reportErrors } from './train.js';

export function registerExperiment(program: Command): void {
  const experiment = program.command('experiment').description('experiments that test the paper’s claims');
  registerPolicyExperiment(experiment);
  registerPolicyRlExperiment(experiment);
  const command = experiment
    .command('ablation')
    .description('SFT cold start, then every arm × setting × seed of RL; resumable; writes OUT/ablation.md')
    .requiredOption(
      '--world <dir>',
      'a synthetic world folder (r1-reward data synth): sft.jsonl, rl.jsonl, benchmark.jsonl',
    )
    .requiredOption('--out <dir>', 'experiment folder (re-run the same command to continue it)')
    .option(
      '--arms <list>',
      `comma-separated arms: ${Object.keys(ARMS).join(', ')} (default: all)`,
      commaList<ArmName>('--arms', Object.keys(ARMS)),
    )
    .option(
      '--settings <list>',
      `comma-separated settings: ${SETTINGS.join(', ')} (default: all)`,
      commaList<SettingName>('--settings', SETTINGS),
    )
    .option('--seeds <n>', 'seeds per arm and setting', positiveInteger('--seeds'), 5)
    .option('--rl-steps <n>', 'RL steps per run', positiveInteger('--rl-steps'), 100)
    .option('--sft-steps <n>', 'steps of the shared SFT cold start', positiveInteger('--sft-steps'), 2000)
    .option('--preset <name>', 'model preset', 'tiny')
    .option('--rollout-batch <n>', 'sequences per rollout', positiveInteger('--rollout-batch'), 8)
    .option('--max-new-tokens <n>', 'longest sampled judgement', positiveInteger('--max-new-tokens'), 64)
    .option('--eval-size <n>', 'held-out pairs judged', positiveInteger('--eval-size'), 100)
    .option('--device <name>', "'cpu', 'cuda' or 'cuda:N' (needs a CUDA libtorch) (default: cpu)")
    .option('--both-orders', 'RL sees every item in both response orders, a pair per batch (every arm)')
    .option(
      '--shard <i/n>',
      'run only the planned runs i, i+n, i+2n, … (0-based), to split one experiment over n processes (default: all runs)',
      shardOption,
    )
    .option('--dry-run', 'print the planned runs and exit');
  addThreadsOption(command);
  withExitCodes(command).action(
    (o: {
      world: string;
      out: string;
      arms?: ArmName[];
      settings?: SettingName[];
      seeds: number;
      rlSteps: number;
      sftSteps: number;
      preset: PresetName;
      rolloutBatch: number;
      maxNewTokens: number;
      evalSize: number;
      threads?: number;
      device?: string;
      bothOrders?: boolean;
      shard?: Shard;
      dryRun?: boolean;
    }) =>
      reportErrors(async () => {
        // Passed to both trainers; the config schemas check the device name.
        const runtime = {
          ...(o.threads === undefined ? {} : { threads: o.threads }),
          ...(o.device === undefined ? {} : { device: o.device as Device }),
        };
        const config: AblationConfig = {
          outDir: o.out,
          sftData: join(o.world, 'sft.jsonl'),
          rlData: join(o.world, 'rl.jsonl'),
          heldOut: { file: join(o.world, 'benchmark.jsonl'), format: 'synthetic' },
          ...(o.arms ? { arms: o.arms } : {}),
          ...(o.settings ? { settings: o.settings } : {}),
          ...(o.shard ? { shard: o.shard } : {}),
          seeds: Array.from({ length: o.seeds }, (_, i) => i + 1),
          sft: {
            preset: o.preset,
            steps: o.sftSteps,
            evalSize: o.evalSize,
            evalMaxNewTokens: o.maxNewTokens,
            ...runtime,
          },
          rl: {
            steps: o.rlSteps,
            rolloutBatch: o.rolloutBatch,
            microBatch: o.rolloutBatch,
            maxNewTokens: o.maxNewTokens,
            evalSize: o.evalSize,
            ...(o.bothOrders ? { bothOrders: true } : {}),
            ...runtime,
          },
        };
        const plans = planRuns(config);
        if (o.dryRun) {
          for (const [i, p] of plans.entries())
            if (!o.shard || inShard(i, o.shard))
              console.log(`${p.setting}\t${p.arm}\tseed ${p.seed}\t${p.dir}`);
          console.log(`${plans.length} runs of ${o.rlSteps} RL steps after ${o.sftSteps} SFT steps`);
          return;
        }
        const table = await runAblation(config, {
          onRunStart: (p, i, n) => console.error(`[${i + 1}/${n}] ${p.setting} · ${p.arm} · seed ${p.seed}`),
        });
        console.log(table.markdown);
      }),
  );
}
