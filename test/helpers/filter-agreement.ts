// Display filters against tshark's on corpus captures, read concatenated (./concatenated): each
// filter costs one tshark and one tcpwatch on the same bytes, not one of each per capture. A
// disagreement is told by its capture and the frame's number there.

import * as path from 'node:path';
import { withConcatenated } from './concatenated';
import { inParallel, runCli, runCommand } from './parallel';

/**
 * Runs every filter over `files` (concatenated in order) in tshark and tcpwatch and returns one line
 * per filter whose selected frames differ; [] when all agree. `name(file)` labels a capture.
 */
export async function filterDisagreements(files: readonly string[], filters: readonly string[], name: (file: string) => string = path.basename): Promise<string[]> {
  return withConcatenated(files, async ({ file: merged, where }) => {
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
  }, name);
}
