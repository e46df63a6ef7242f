#!/usr/bin/env node
// The `r1-reward` command line: one small file per command under src/cli/, wiring only.
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerData } from './data.js';
import { registerExperiment } from './experiment.js';
import { registerReport } from './report.js';
import { registerSelfCheck } from './self-check.js';
import { registerServeReward } from './serve-reward.js';
import { registerTrain } from './train.js';

const program = new Command()
  .name('r1-reward')
  .description('Train, run and evaluate R1-Reward, a multimodal generative reward model (StableReinforce).')
  .version(VERSION)
  .showHelpAfterError();

registerSelfCheck(program);
registerServeReward(program);
registerData(program);
registerTrain(program);
registerReport(program);
registerExperiment(program);

await program.parseAsync(process.argv);
