#!/usr/bin/env node
// The `r1-reward` command line: one small file per command under src/cli/, wiring only.
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerBench } from './bench.js';
import { registerBestOfN } from './best-of-n.js';
import { registerData } from './data.js';
import { registerDemo } from './demo.js';
import { registerExperiment } from './experiment.js';
import { registerJudge } from './judge.js';
import { registerRank } from './rank.js';
import { registerReport } from './report.js';
import { registerSelfCheck } from './self-check.js';
import { registerServe } from './serve.js';
import { registerServePolicyReward } from './serve-policy-reward.js';
import { registerServeReward } from './serve-reward.js';
import { registerTrain } from './train.js';

const program = new Command()
  .name('r1-reward')
  .description('Train, run and evaluate R1-Reward, a multimodal generative reward model (StableReinforce).')
  .version(VERSION)
  .showHelpAfterError();

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

await program.parseAsync(process.argv);
