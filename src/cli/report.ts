// `r1-reward report RUN_DIR`: writes RUN_DIR/report.html (inline SVG curves of metrics.jsonl); wiring only.
import type { Command } from 'commander';
import { writeReport } from '../train/report.js';
import { reportErrors } from './train.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML page with the curves of a training run')
    .argument('<run-dir>', 'a run folder of r1-reward train (holds metrics.jsonl)')
    .option('--out <file>', 'where to write the page (default RUN_DIR/report.html)')
    .action((runDir: string, options: { out?: string }) =>
      reportErrors(async () => {
        console.log(writeReport(runDir, options.out));
      }),
    );
}
