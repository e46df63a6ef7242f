// Runs `r1-reward` commands as real child processes for the CLI end-to-end tests (CI=1: no progress
// bars); any still running when the test file ends are killed.
import { type ChildProcess, spawn } from 'node:child_process';
import { after } from 'node:test';

const repo = new URL('../../', import.meta.url).pathname;
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** How a command ended: its exit code and everything it printed. */
export interface CliDone {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `r1-reward ...args` from the repository root; `done` resolves when it has exited. */
export function cli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliDone> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: repo,
    env: { ...process.env, ...env, CI: '1' },
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<CliDone>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

/** Runs `r1-reward ...args` to the end. */
export const runCli = (args: string[], env?: Record<string, string>): Promise<CliDone> => cli(args, env).done;
