// `bench score`: rescore a run directory from judgements.jsonl and write metrics.json, report.md
// and report.html (suffixed .r1-compat for that protocol), each replaced atomically.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { renderHtml, renderMarkdown } from './report.js';
import { readRun } from './runner.js';
import { type Metrics, type ScoreDetails, scoreRecords } from './score.js';
import type { ScoreProtocol } from './scoring-rules.js';

/** What {@link scoreRun} computed and the files it wrote. */
export interface ScoredRun {
  metrics: Metrics;
  details: ScoreDetails;
  files: string[];
}

/**
 * `bench score`: rescores a run folder from judgements.jsonl and writes metrics.json, report.md and
 * report.html (suffixed .r1-compat for that protocol), each atomically.
 */
export async function scoreRun(runDir: string, protocol: ScoreProtocol): Promise<ScoredRun> {
  const { run, records } = await readRun(runDir);
  if (records.length === 0)
    throw new Error(`${runDir} has no judged items yet; run \`r1-reward bench run\` first`);
  const { benchmark, order, k, seed } = run.settings;
  const { metrics, details } = scoreRecords(records, { benchmark, protocol, order, k, seed });
  const suffix = protocol === 'official' ? '' : `.${protocol}`;
  const context = { runDir, description: { ...run.settings, ...run.config } };
  const files = [
    join(runDir, `metrics${suffix}.json`),
    join(runDir, `report${suffix}.md`),
    join(runDir, `report${suffix}.html`),
  ];
  writeFileAtomic(files[0]!, `${JSON.stringify(metrics, null, 2)}\n`);
  writeFileAtomic(files[1]!, renderMarkdown(metrics, details, context));
  writeFileAtomic(files[2]!, renderHtml(metrics, details, context));
  return { metrics, details, files };
}
