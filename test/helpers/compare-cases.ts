// The captures whose --compare output is kept as golden files in test/golden/compare/, shared by
// test/compare.test.ts and scripts/update-compare-goldens.ts (which rewrites the files): the lab
// sample with its embedded key log (chat in plaintext, TLS 1.3 and 1.2 decrypted), the same
// sample written again without its Decryption Secrets Block (encrypted-without-keys), and "The
// Illustrated TLS Connection" captures with their key logs ("ping" and "pong").

import * as path from 'node:path';
import { CaptureFileReader } from '../../src/capture/file-reader';
import { CapturedFrame } from '../../src/capture/frame';
import { openCaptureWriter, CaptureWriter } from '../../src/capture/file-writer';
import { REPO_ROOT } from './corpus';

export interface CompareCase {
  /** Golden file name (without .txt). */
  name: string;
  /** "samples/…" relative to the repository, "corpus:…" relative to the shared corpus, "nokeys:samples/…" for that sample rewritten without its secrets. */
  file: string;
  /** Key log relative to the repository or "corpus:…". */
  keylog?: string;
  /** tcp.stream to compare; every stream when absent. */
  stream?: number;
}

export const COMPARE_CASES: readonly CompareCase[] = [
  { name: 'lab', file: 'samples/lab.pcapng' },
  { name: 'lab-tls13-without-keys', file: 'nokeys:samples/lab.pcapng', stream: 1 },
  { name: 'illustrated-tls13', file: 'corpus:tls-keys/illustrated-tls13/capture.pcap', keylog: 'corpus:tls-keys/illustrated-tls13/keylog.txt' },
  { name: 'illustrated-tls12', file: 'corpus:tls-keys/illustrated-tls12/capture.pcap', keylog: 'corpus:tls-keys/illustrated-tls12/keylog.txt' },
];

export const GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'golden', 'compare');

function resolve(p: string, corpus: string | null): string | null {
  if (p.startsWith('corpus:')) return corpus === null ? null : path.join(corpus, p.slice('corpus:'.length));
  return path.join(REPO_ROOT, p);
}

/**
 * The CLI arguments of a case, or null when its capture is in a corpus that is not there. A
 * "nokeys:" capture is written to `tmp` first.
 */
export function caseArgs(c: CompareCase, corpus: string | null, tmp: string): string[] | null {
  let file: string | null;
  if (c.file.startsWith('nokeys:')) {
    file = path.join(tmp, `${c.name}.pcapng`);
    copyWithoutSecrets(path.join(REPO_ROOT, c.file.slice('nokeys:'.length)), file);
  } else {
    file = resolve(c.file, corpus);
  }
  if (file === null) return null;
  const args = ['-r', file, c.stream === undefined ? '--compare' : `--compare=${c.stream}`];
  if (c.keylog !== undefined) {
    const k = resolve(c.keylog, corpus);
    if (k === null) return null;
    args.push('--keylog', k);
  }
  return args;
}

/** Environment for a run that must not pick up the user's key log. */
export function envWithoutKeylog(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.SSLKEYLOGFILE;
  return env;
}

/**
 * Rewrite a capture frame by frame with tcpwatch's writer, which writes no Decryption Secrets
 * Block: the same packets, no embedded key log. `edit` may change a frame's bytes on the way.
 */
export function copyWithoutSecrets(src: string, dst: string, edit?: (frameNumber: number, frame: Buffer) => void): void {
  const reader = new CaptureFileReader(src);
  const f = new CapturedFrame();
  let w: CaptureWriter | null = null;
  let n = 0;
  try {
    while (reader.next(f)) {
      n++;
      if (w === null) w = openCaptureWriter(dst, f.linkType);
      if (edit !== undefined) {
        const copy = Buffer.from(f.buf.subarray(f.off, f.off + f.capLen));
        edit(n, copy);
        f.buf = copy;
        f.off = 0;
      }
      w.write(f);
    }
  } finally {
    w?.close();
    reader.close();
  }
}

/** The first line of a golden file names what made it; the rest is the output. */
export function goldenHeader(c: CompareCase, version: string): string {
  return `# tcpwatch ${version} --compare${c.stream === undefined ? '' : ' ' + c.stream} of ${c.file}` +
    `${c.keylog ? ` with --keylog ${c.keylog}` : ''}; made by scripts/update-compare-goldens.ts, do not edit\n`;
}
