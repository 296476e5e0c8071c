// Display filters against tshark's on corpus captures. Each filter used to cost a tshark and a
// tcpwatch process per capture (two hundred processes for eleven filters on nineteen files); the
// captures are now concatenated into one pcapng (mergecap -a, an interface per link type), so each
// filter costs one run of each reader on the same bytes. A disagreement is told by its capture and
// the frame's number there.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureFileReader } from '../../src/capture/file-reader';
import { CapturedFrame } from '../../src/capture/frame';
import { inParallel, runCli, runCommand } from './parallel';

function frameCount(file: string): number {
  const reader = new CaptureFileReader(file);
  const frame = new CapturedFrame();
  let n = 0;
  try {
    while (reader.next(frame)) n++;
  } finally {
    reader.close();
  }
  return n;
}

/**
 * Runs every filter over `files` (concatenated in order) in tshark and tcpwatch and returns one line
 * per filter whose selected frames differ; [] when all agree. `name(file)` labels a capture.
 */
export async function filterDisagreements(files: readonly string[], filters: readonly string[], name: (file: string) => string = path.basename): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-filters-'));
  try {
    const merged = path.join(dir, 'merged.pcapng');
    execFileSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...files], { stdio: ['ignore', 'ignore', 'pipe'] });
    const firsts: number[] = [];
    let total = 0;
    for (const f of files) { firsts.push(total + 1); total += frameCount(f); }
    const where = (n: number): string => {
      let i = firsts.length - 1;
      while (i > 0 && firsts[i] > n) i--;
      return `${name(files[i])}#${n - firsts[i] + 1}`;
    };
    const wrong: string[] = [];
    await inParallel(filters, async (filter) => {
      const args = ['-r', merged, '-Y', filter, '-T', 'fields', '-e', 'frame.number'];
      const [theirs, ours] = await Promise.all([runCommand('tshark', ['-n', ...args]), runCli(args)]);
      return { theirs, ours };
    }, (filter, { theirs, ours }) => {
      if (theirs.status !== 0) throw new Error(`tshark -Y '${filter}': ${theirs.stderr}`);
      const want = new Set(theirs.stdout.split('\n').filter(Boolean).map(Number));
      const got = new Set(ours.stdout.split('\n').filter(Boolean).map(Number));
      const missing = [...want].filter((n) => !got.has(n)).map(where);
      const extra = [...got].filter((n) => !want.has(n)).map(where);
      if (ours.status !== 0 || missing.length > 0 || extra.length > 0) {
        wrong.push(`-Y '${filter}': ${ours.status !== 0 ? `tcpwatch exit ${ours.status} ${ours.stderr.trim()}; ` : ''}` +
          `selected by tshark only: ${missing.slice(0, 10).join(' ') || '-'}; by tcpwatch only: ${extra.slice(0, 10).join(' ') || '-'}`);
      }
    });
    return wrong;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
