// The `r1-reward` command tree, built without running it (main.ts parses the arguments; tests walk
// the tree to check every command's options and help).
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerBench } from './bench.js';
import { registerBestOfN } from './best-of-n.js';
import { registerData } from './data.js';
import { registerDemo } from './demo.js';
import { registerExperiment } from './experiment.js';
import { registerJudge } from './judge.js';
import { usageErrorsExitWith2 } from './options.js';
import { registerRank } from './rank.js';
import { registerReport } from './report.js';
import { registerSelfCheck } from './self-check.js';
import { registerServe } from './serve.js';
import { registerServePolicyReward } from './serve-policy-reward.js';
import { registerServeReward } from './serve-reward.js';
import { registerTrain } from './train.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('r1-reward')
    .description('Train, run and evaluate R1-Reward, a multimodal generative reward model (StableReinforce).')
    .version(VERSION)
    .showHelpAfterError()
    .addHelpText('after', '\nEvery command lists its exit codes in its --help (the table: docs/cli.md).');
  // Set before the commands are added, so they inherit it.
  usageErrorsExitWith2(program);
  registerSelfCheck(program);
  registerData(program);
  registerServe(program);
  registerServeReward(program);
  registerServePolicyReward(program);
  registerJudge(program);
  registerBench(program);
  registerRank(program);
  registerBestOfN(program);
  registerTrain(program);
  registerReport(program);
  registerExperiment(program);
  registerDemo(program);
  return program;
}
