// `r1-reward self-check`: what this installation can do — versions, libtorch, threads.
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { probeLibtorch } from '../engine/probe.js';
import { VERSION } from '../version.js';

export function registerSelfCheck(program: Command): void {
  program
    .command('self-check')
    .description('print versions and whether the libtorch engine loads')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) => {
      const libtorch = probeLibtorch();
      const report = {
        'r1-reward': VERSION,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpus: cpus().length,
        libtorch,
      };
      if (options.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      console.log(
        `r1-reward ${report['r1-reward']} on node ${report.node} (${report.platform}, ${report.cpus} CPUs)`,
      );
      for (const [key, value] of Object.entries(libtorch)) console.log(`  ${key}: ${String(value)}`);
      if (!libtorch.libraryFound) process.exitCode = 1;
    });
}
