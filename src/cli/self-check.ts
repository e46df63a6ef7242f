// `r1-reward self-check`: what this installation can do — versions, libtorch, threads, CUDA, BLAS.
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { probeLibtorch } from '../engine/probe.js';
import { engineInfo } from '../engine/runtime.js';
import { VERSION } from '../version.js';
import { EXIT, withExitCodes } from './options.js';

interface EngineReport {
  loads: boolean;
  error?: string;
  libtorch?: string;
  threads?: number;
  cuda?: boolean;
  cudaDevices?: number;
  blasLoaded?: string[];
}

/** Loads the addon (this command is meant to) and reports what it found, or why it did not load. */
function checkEngine(): EngineReport {
  try {
    const info = engineInfo();
    return {
      loads: true,
      libtorch: info.libtorch,
      threads: info.threads,
      cuda: info.cuda,
      cudaDevices: info.cudaDevices,
      blasLoaded: info.blas,
    };
  } catch (error) {
    return { loads: false, error: (error as Error).message };
  }
}

export function registerSelfCheck(program: Command): void {
  const command = program.command('self-check');
  withExitCodes(command);
  command
    .description(
      'print versions and whether the libtorch engine loads (failed, exit code 1, when it does not)',
    )
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) => {
      const libtorch = probeLibtorch();
      const engine = checkEngine();
      const report = {
        'r1-reward': VERSION,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpus: cpus().length,
        libtorch,
        engine,
      };
      if (!libtorch.libraryFound || !engine.loads) process.exitCode = EXIT.failed;
      if (options.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      console.log(
        `r1-reward ${report['r1-reward']} on node ${report.node} (${report.platform}, ${report.cpus} CPUs)`,
      );
      for (const [key, value] of Object.entries(libtorch)) console.log(`  ${key}: ${String(value)}`);
      if (engine.loads) {
        console.log(`  engine: loads (libtorch ${engine.libtorch}, ${engine.threads} threads)`);
        console.log(
          `  cuda: ${engine.cuda ? `available, ${engine.cudaDevices} device(s): --device cuda[:N] trains and judges there` : 'not available (train and judge with --device cpu)'}`,
        );
        console.log(`  blas loaded: ${engine.blasLoaded?.join(', ') || 'none found in /proc/self/maps'}`);
      } else {
        console.log(`  engine: does not load — ${engine.error}`);
      }
    });
}
