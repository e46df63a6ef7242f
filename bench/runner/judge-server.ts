// The scripted judge as its own process, so the benchmark measures only the runner's CPU time.
// Usage: node --import tsx bench/runner/judge-server.ts LATENCY_MS THINK_CHARS [good|longer] → prints its URL.
import { startScriptedJudge } from '../../test/judge/scripted-judge.js';

const judge = await startScriptedJudge({
  latencyMs: Number(process.argv[2] ?? 50),
  thinkChars: Number(process.argv[3] ?? 0),
  prefer: process.argv[4] === 'longer' ? 'longer' : 'good',
});
console.log(judge.url);
process.on('SIGTERM', () => judge.close().then(() => process.exit(0)));
