// `r1-reward report RUN_DIR`: writes RUN_DIR/report.html (inline SVG curves of metrics.jsonl) and, with
// --svg DIR, each chart as its own SVG file; wiring only.
import type { Command } from 'commander';
import { writeChartFiles, writeReport } from '../train/report.js';
import { withExitCodes } from './options.js';
import { reportErrors } from './train.js';

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description('write a self-contained HTML page with the curves of a training run')
    .argument('<run-dir>', 'a run folder of r1-reward train (holds metrics.jsonl)')
    .option('--out <file>', 'where to write the page (default: RUN_DIR/report.html)')
    .option('--svg <dir>', 'also write every chart as its own SVG file, DIR/<quantity>.svg (default: none)');
  withExitCodes(command).action((runDir: string, options: { out?: string; svg?: string }) =>
    reportErrors(async () => {
      console.log(writeReport(runDir, options.out));
      if (options.svg) console.log(`${writeChartFiles(runDir, options.svg).length} charts in ${options.svg}`);
    }),
  );
}
