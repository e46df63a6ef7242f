// Starts an r1-reward server command (`serve`, `serve-reward`) as a child process on a free port and
// stops it with SIGTERM, for the CLI tests of both servers.
import { spawn } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;

export interface CliServer {
  url: string;
  /** Sends SIGTERM and resolves with the exit code once the process has drained and exited. */
  stop(): Promise<number | null>;
}

export async function startCliServer(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--port', '0'], {
    cwd: root,
    env,
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`${args[0]} exited early (${code})`)));
    });
    return { url, stop };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
