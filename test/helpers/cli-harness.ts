// Runs many tcpwatch command lines through the CLI's own main() in one process, for
// test/cli-options.test.ts: starting node afresh for each of some eighty bad command lines costs
// about half a second each on a busy machine. process.exit is replaced by a throw that carries the
// status, and stderr is collected per command line; anything else thrown (what a real process would
// print as a stack trace) is recorded as such. The test also runs a sample of the same command
// lines as real processes and checks they match what this harness saw.
//
//   TCPWATCH_CLI_HARNESS=cases.json node dist/test/helpers/cli-harness.js   (writes cases.json.out)
//
// The variable guards against `node --test dist/test/`, which also runs files under test/helpers.

import * as fs from 'node:fs';

export interface HarnessOutcome {
  args: string[];
  /** Exit status main() asked for (process.exit or process.exitCode), null when it threw. */
  status: number | null;
  stderr: string;
  /** Stack of an exception main() let escape, or of an uncaught one while it ran. */
  threw: string | null;
  timedOut: boolean;
}

class Exit {
  constructor(readonly code: number) {}
}

const CASE_TIMEOUT_MS = 10_000;

async function runAll(casesPath: string): Promise<void> {
  const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8')) as string[][];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { main } = require('../../src/cli') as { main(argv: string[]): Promise<void> };
  const results: HarnessOutcome[] = [];
  const realWrite = process.stderr.write.bind(process.stderr);
  const realExit = process.exit;
  let stray: unknown = null;
  process.on('uncaughtException', (e) => {
    stray = e;
  });
  for (const args of cases) {
    let stderr = '';
    stray = null;
    process.exitCode = undefined;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stderr.write;
    process.exit = ((code?: number) => {
      throw new Exit(code ?? 0);
    }) as typeof process.exit;
    let outcome: HarnessOutcome;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), CASE_TIMEOUT_MS)));
      const r = await Promise.race([main(['node', 'tcpwatch', ...args]).then(() => 'done' as const), timeout]);
      outcome = r === 'timeout'
        ? { args, status: null, stderr, threw: null, timedOut: true }
        : { args, status: Number(process.exitCode ?? 0), stderr, threw: null, timedOut: false };
    } catch (e) {
      outcome = e instanceof Exit
        ? { args, status: e.code, stderr, threw: null, timedOut: false }
        : { args, status: null, stderr, threw: String((e as Error).stack ?? e), timedOut: false };
    } finally {
      clearTimeout(timer);
      process.stderr.write = realWrite;
      process.exit = realExit;
    }
    if (stray !== null && !(stray instanceof Exit)) outcome.threw ??= String((stray as Error).stack ?? stray);
    results.push(outcome);
    // A command line that did not end may still be capturing or listening: stop here.
    if (outcome.timedOut) break;
  }
  fs.writeFileSync(`${casesPath}.out`, JSON.stringify(results));
  process.exitCode = 0;
  realExit(0);
}

if (require.main === module && process.env.TCPWATCH_CLI_HARNESS) {
  void runAll(process.env.TCPWATCH_CLI_HARNESS);
}
