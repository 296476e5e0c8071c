// What the stream verdict stage (src/reports/verdict.ts) costs: the same in-memory capture run
// through the analysis pipeline with and without it, best of several rounds, as nanoseconds per
// frame and per payload byte (CPU time, so other work on the machine does not count); and how many entropy counter slots it held at most.
//
//   node dist/scripts/bench-verdict.js [--frames N] [--rounds R] [--from FILE]

import * as fs from 'node:fs';
import * as path from 'node:path';
import '../src/packet-modules';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { Pipeline, Analyzer } from '../src/pipeline';
import { makeAnalyzers, MainOptions } from '../src/hooks';
import { StreamVerdictAnalyzer } from '../src/reports/verdict';
import { makeBigCapture, DEFAULT_SOURCE } from './make-big-capture';
import { BENCH_DIR, ensureDir } from './bench-lib';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const frames = Number(arg('--frames', '300000'));
const rounds = Number(arg('--rounds', '3'));
const from = arg('--from', DEFAULT_SOURCE);
ensureDir(BENCH_DIR);
const file = path.join(BENCH_DIR, `bench-verdict-${frames}-${path.basename(from)}.pcap`);
if (!fs.existsSync(file)) makeBigCapture(file, frames, from);

// Frames in memory, so the file system is not what is measured.
const list: CapturedFrame[] = [];
const reader = new CaptureFileReader(file);
const f = new CapturedFrame();
while (reader.next(f)) {
  const c = new CapturedFrame();
  c.buf = Buffer.from(f.buf.subarray(f.off, f.off + f.capLen));
  c.capLen = f.capLen;
  c.origLen = f.origLen;
  c.tsSec = f.tsSec;
  c.tsNsec = f.tsNsec;
  c.linkType = f.linkType;
  list.push(c);
}
reader.close();

const opts = { field: [], fieldOption: [], pref: [], promiscuous: true, ui: false, compare: true } as unknown as MainOptions;

function once(withVerdicts: boolean): { ms: number; payload: number; slots: number; streams: number } {
  const analyzers: Analyzer[] = makeAnalyzers(opts, null).filter((a) => withVerdicts || !(a instanceof StreamVerdictAnalyzer));
  const p = new Pipeline({ sink: null, analyzers });
  let payload = 0;
  const t0 = process.cpuUsage();
  for (const fr of list) {
    p.handle(fr);
    payload += p.d.payloadCapLen;
  }
  const used = process.cpuUsage(t0);
  const ms = (used.user + used.system) / 1000;
  const v = analyzers.find((a) => a instanceof StreamVerdictAnalyzer) as StreamVerdictAnalyzer | undefined;
  const slots = v ? (v as unknown as { slotsMade: number }).slotsMade : 0;
  return { ms, payload, slots, streams: v ? v.rows.count : 0 };
}

let best = [Infinity, Infinity];
let info = { payload: 0, slots: 0, streams: 0 };
for (let r = 0; r < rounds; r++) {
  for (const w of [false, true]) {
    const res = once(w);
    best[w ? 1 : 0] = Math.min(best[w ? 1 : 0], res.ms);
    if (w) info = res;
  }
}
const n = list.length;
const extra = best[1] - best[0];
console.log(`capture: ${n} frames, ${info.payload} payload bytes, ${info.streams} TCP streams (${path.basename(from)} replicated)`);
console.log(`pipeline without verdicts: ${(best[0] * 1e6 / n).toFixed(0)} ns/frame; with: ${(best[1] * 1e6 / n).toFixed(0)} ns/frame (best of ${rounds})`);
console.log(`verdict stage: ${(extra * 1e6 / n).toFixed(0)} ns/frame, ${(extra * 1e6 / Math.max(1, info.payload)).toFixed(2)} ns per payload byte, ` +
  `${(100 * extra / best[0]).toFixed(1)}% of the pipeline`);
console.log(`entropy counter slots made: ${info.slots} (${(info.slots * 2).toFixed(0)} KiB), the rest reused after connections closed`);
best = [];
