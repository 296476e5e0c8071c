// Many corpus captures read as one: concatenated into a pcapng by mergecap -a (an interface block
// per link type, frames in file order), so a test runs one reader over the lot instead of starting
// one per capture — most of a small capture's time is node and tshark starting. `where` names the
// capture and its own frame number for a frame number of the whole, for messages.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { countFrames } from './pipeline';
import { listFiles } from './corpus';
import { runCli, runCommand } from './parallel';

export interface Concatenated {
  file: string;
  /** "capture#N" for frame `n` (from 1) of the concatenation. */
  where(n: number): string;
  /** The capture that frame `n` (from 1) of the concatenation came from. */
  fileAt(n: number): string;
}

export async function withConcatenated<R>(files: readonly string[], use: (c: Concatenated) => Promise<R> | R, name: (file: string) => string = path.basename): Promise<R> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-concat-'));
  try {
    const file = path.join(dir, 'concatenated.pcapng');
    execFileSync('mergecap', ['-a', '-F', 'pcapng', '-w', file, ...files], { stdio: ['ignore', 'ignore', 'pipe'] });
    const firsts: number[] = [];
    let total = 0;
    for (const f of files) { firsts.push(total + 1); total += countFrames(f); }
    const indexOf = (n: number): number => {
      let i = firsts.length - 1;
      while (i > 0 && firsts[i] > n) i--;
      return i;
    };
    const where = (n: number): string => {
      const i = indexOf(n);
      return `${name(files[i])}#${n - firsts[i] + 1}`;
    };
    return await use({ file, where, fileAt: (n) => files[indexOf(n)] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * frame.protocols of every frame of the corpus's valid captures, read as one concatenation by
 * tcpwatch and by tshark: one line per frame each, and `where` for messages.
 */
export async function validCorpusProtocols<R>(corpus: string, use: (ours: string[], theirs: string[], where: (n: number) => string) => R): Promise<R> {
  const files = listFiles(path.join(corpus, 'valid'), (n) => /\.pcap(ng)?$/.test(n));
  return withConcatenated(files, async ({ file, where }) => {
    const args = ['-r', file, '-T', 'fields', '-e', 'frame.protocols'];
    const [ours, theirs] = await Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
    const o = ours.stdout.split('\n'), w = theirs.stdout.split('\n');
    if (o[o.length - 1] === '') o.pop();
    if (w[w.length - 1] === '') w.pop();
    return use(o, w, where);
  });
}
