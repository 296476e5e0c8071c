// A capture read in-process through tcpwatch's pipeline, the way tests look at what it decoded.

import { CaptureFileReader } from '../../src/capture/file-reader';
import { CapturedFrame } from '../../src/capture/frame';
import { Dissection } from '../../src/decode/dissection';
import { Analyzer, Pipeline } from '../../src/pipeline';
import '../../src/packet-modules';
import { MainOptions, stageOrder } from '../../src/hooks';
import { FieldDef, formatField, getField } from '../../src/fields';

/** How many frames `file` holds, read as tcpwatch reads it. */
export function countFrames(file: string): number {
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

const DEFAULT_OPTIONS: MainOptions = { promiscuous: false, field: [], fieldOption: [], pref: [], ui: false };

/** The QUIC stage and TLS, as tcpwatch orders them: TLS reads the handshakes the QUIC stage decrypted. */
export function tlsStages(): Analyzer[] {
  return stageOrder().filter((s) => s.name === 'quic' || s.name === 'tls').map((s) => s.make(DEFAULT_OPTIONS, null)).filter((a): a is Analyzer => a !== null);
}

/** Every frame of `file` through decode, TCP analysis and `analyzers` (QUIC and TLS by default); `onFrame` sees each. */
export function forEachFrame(file: string, onFrame: (d: Dissection) => void, analyzers: Analyzer[] = tlsStages()): void {
  const reader = new CaptureFileReader(file);
  const p = new Pipeline({ sink: { frame: onFrame, end(): void {} }, analyzers });
  const frame = new CapturedFrame();
  try {
    while (reader.next(frame)) p.handle(frame);
  } finally {
    reader.close();
  }
  p.end();
}

/** Every occurrence of a field in the frame, formatted as -T fields prints each. */
export function occurrences(field: FieldDef | string, d: Dissection): string[] {
  const f = typeof field === 'string' ? getField(field)! : field;
  const values: string[] = [];
  for (let i = 0, n = f.count(d); i < n; i++) values.push(formatField(f, d, i));
  return values;
}
