// The captures whose --explain output is kept as golden files in test/golden/explain/, shared by
// test/explain.test.ts and scripts/update-explain-goldens.ts (which rewrites the files).
// Chosen for what the explain view must get right: the lab's handshake and four-way teardown, a
// three-segment close, TCP Fast Open, Accurate ECN, a RST carrying text, a simultaneous close with
// retransmitted FINs and duplicate ACKs, a reset after data. All are free of TLS, whose sentences
// are checked separately on the bundled sample.

import * as path from 'node:path';
import { REPO_ROOT } from './corpus';

export interface ExplainCase {
  /** Golden file name (without .txt). */
  name: string;
  /** "samples/…" relative to the repository, or "corpus:…" relative to the shared corpus. */
  file: string;
  /** tcp.stream to explain; every stream when absent. */
  stream?: number;
}

export const EXPLAIN_CASES: readonly ExplainCase[] = [
  { name: 'lab-chat', file: 'samples/lab.pcapng', stream: 0 },
  { name: 'dns-over-tcp', file: 'corpus:valid/tcpdump/dns_tcp.pcap' },
  { name: 'http-three-segment-close', file: 'corpus:valid/tcpdump/print-flags.pcap' },
  { name: 'tcp-fast-open', file: 'corpus:valid/tcpdump/tfo-5c1fa7f9ae91.pcap' },
  { name: 'accurate-ecn', file: 'corpus:valid/tcpdump/accecn_handshake.pcap' },
  { name: 'rst-with-text', file: 'corpus:valid/tcpdump/tcp_rst_data.pcap' },
  { name: 'simultaneous-close', file: 'corpus:valid/ja4/v6.pcap' },
  { name: 'reset-after-data', file: 'corpus:valid/tcpdump/mptcp-fclose.pcap' },
];

export const GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'golden', 'explain');

/** Absolute path of a case's capture, or null when it is in a corpus that is not there. */
export function casePath(c: ExplainCase, corpus: string | null): string | null {
  if (c.file.startsWith('corpus:')) return corpus === null ? null : path.join(corpus, c.file.slice('corpus:'.length));
  return path.join(REPO_ROOT, c.file);
}

export function caseArgs(c: ExplainCase, file: string): string[] {
  return ['-r', file, c.stream === undefined ? '--explain' : `--explain=${c.stream}`];
}

/** The first line of a golden file names what made it; the rest is the output. */
export function goldenHeader(c: ExplainCase, version: string): string {
  return `# tcpwatch ${version} --explain${c.stream === undefined ? '' : ' ' + c.stream} of ${c.file}; made by scripts/update-explain-goldens.ts, do not edit\n`;
}
