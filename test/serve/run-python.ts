// Runs python3 asynchronously for the tests of the trainers' Python clients (the server under test
// lives in the test process, so a blocking spawnSync would starve it).
import { spawn } from 'node:child_process';

/** Runs python3 with `args`, feeds it `stdin`, and resolves with its stdout (rejects with its stderr). */
export function runPython(
  args: string[],
  stdin: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', (error) =>
      reject(
        new Error(
          `cannot run python3 (${error.message}): the trainers' Python clients need it; install python3`,
        ),
      ),
    );
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
    child.stdin.end(stdin);
  });
}
