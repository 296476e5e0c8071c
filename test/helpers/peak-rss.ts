// Runs tcpwatch's command line in a child node whose peak resident set size (getrusage's ru_maxrss,
// as process.resourceUsage() reports it) is written to a file when the child exits, for tests that
// bound the memory a hostile capture may take. The wall time is measured around the child.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './corpus';

export interface Measured {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdoutBytes: number;
  stderr: string;
  seconds: number;
  /** Peak resident set size of the child, bytes. */
  peakRss: number;
}

/**
 * `tcpwatch ...args`, its standard output counted and discarded (to /dev/null, as a user would),
 * with a time limit after which it is killed.
 */
export function runMeasured(args: string[], timeoutMs = 60_000): Measured {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-rss-'));
  try {
    const report = path.join(dir, 'rss');
    const preload = path.join(dir, 'preload.js');
    fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, String(process.resourceUsage().maxRSS * 1024)));\n`);
    const out = path.join(dir, 'stdout');
    const fd = fs.openSync(out, 'w');
    const t0 = process.hrtime.bigint();
    let r;
    try {
      r = spawnSync(process.execPath, ['-r', preload, CLI, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
    } finally {
      fs.closeSync(fd);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const peakRss = fs.existsSync(report) ? Number(fs.readFileSync(report, 'utf8')) : Infinity;
    return { status: r.status, signal: r.signal, stdoutBytes: fs.statSync(out).size, stderr: r.stderr ?? '', seconds, peakRss };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
