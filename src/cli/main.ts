#!/usr/bin/env node
// The `r1-reward` command line: one small file per command under src/cli/, wiring only
// (program.ts builds the tree, options.ts holds what the commands share).
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
