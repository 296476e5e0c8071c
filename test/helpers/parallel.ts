// The corpus tests run one tcpwatch (and sometimes one tshark) per capture. Run one after another,
// most of their time is node starting and a second core waiting; two at a time halves them on the
// two-core machines the tests run on (CI included), and the comparisons stay in capture order.

import { execFile } from 'node:child_process';
import { CLI } from './corpus';

export interface CliRun { status: number | null; stdout: string; stderr: string }

/** `cmd args` to its end, stdout and stderr as text; a non-zero exit is a result, not an error. */
export function runCommand(cmd: string, args: string[], timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') { reject(err); return; }
      const status = err ? ((err as { code?: number | null }).code ?? null) : 0;
      resolve({ status: typeof status === 'number' ? status : null, stdout, stderr });
    });
  });
}

/** tcpwatch with `args`, as a process of its own. */
export function runCli(args: string[], timeoutMs?: number): Promise<CliRun> {
  return runCommand(process.execPath, [CLI, ...args], timeoutMs);
}

/**
 * `work` on every item, `workers` at a time; `use` sees the results in the items' order (so
 * reports and first failures are the same whatever finishes first).
 */
export async function inParallel<T, R>(items: readonly T[], work: (item: T) => Promise<R>, use: (item: T, result: R) => void, workers = 2): Promise<void> {
  const results = new Array<Promise<R> | undefined>(items.length);
  let next = 0;
  const start = (): void => {
    if (next >= items.length) return;
    const i = next++;
    const p = work(items[i]);
    p.catch(() => {}); // seen when its turn comes; not an unhandled rejection before that
    results[i] = p;
  };
  for (let w = 0; w < workers; w++) start();
  for (let i = 0; i < items.length; i++) {
    const r = await results[i]!;
    start();
    use(items[i], r);
  }
}
