// TCP analysis cost: nanoseconds per frame for decoding alone and for decoding plus TcpStreamTable
// (conversation lookup, relative numbers, tcp.analysis findings, roles), and memory per connection.
// Frames are the corpus's own, replayed in memory; in the "many connections" run each replay moves
// the ports so that every pass opens new connections.
//
//   npx tsc -p tsconfig.json && node --expose-gc dist/scripts/bench-tcp-analysis.js [--frames N]

import * as path from 'node:path';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { Dissection } from '../src/decode/dissection';
import { decodeFrame } from '../src/decode/decoder';
import { TcpStreamTable } from '../src/analysis/streams';
import { emit, machine, ROOT } from './bench-lib';

const framesArg = process.argv.indexOf('--frames');
const N = framesArg >= 0 ? Number(process.argv[framesArg + 1]) : 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const corpus = process.env.TCPWATCH_CORPUS ?? path.resolve(ROOT, '..', 'shared', 'corpus');
const files = ['valid/ja4/latest.pcapng', 'valid/ja4/browsers-x509.pcapng', 'valid/ja4/tls3.pcapng'];

interface Rec { buf: Buffer; linkType: number; origLen: number; sec: number; nsec: number }
const recs: Rec[] = [];
for (const f of files) {
  const r = new CaptureFileReader(path.join(corpus, f));
  const fr = new CapturedFrame();
  while (r.next(fr)) recs.push({ buf: Buffer.from(fr.buf.subarray(fr.off, fr.off + fr.capLen)), linkType: fr.linkType, origLen: fr.origLen, sec: fr.tsSec, nsec: fr.tsNsec });
  r.close();
}

const d = new Dissection();
function pass(n: number, table: TcpStreamTable | null, newPorts: boolean): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = recs[i % recs.length];
    decodeFrame(d, r.buf, 0, r.buf.length, r.linkType);
    if (table === null) continue;
    if (newPorts && d.tcpOff >= 0) {
      const k = Math.floor(i / recs.length);
      d.srcPort = (d.srcPort + k) & 0xffff;
      d.dstPort = (d.dstPort + k) & 0xffff;
    }
    d.number = i + 1;
    d.tsSec = r.sec;
    d.tsNsec = r.nsec;
    d.origLen = r.origLen;
    table.analyze(d);
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

pass(Math.min(N, 200_000), new TcpStreamTable(), false); // warm up
const decodeNs = pass(N, null, false);
gc();
let h0 = process.memoryUsage().heapUsed;
const same = new TcpStreamTable();
const sameNs = pass(N, same, false);
gc();
const sameHeap = process.memoryUsage().heapUsed - h0;
const many = new TcpStreamTable();
gc();
h0 = process.memoryUsage().heapUsed;
const manyNs = pass(N, many, true);
gc();
const perConn = (process.memoryUsage().heapUsed - h0) / many.count;

emit({
  title: 'TCP conversation analysis',
  lines: [
    ...machine(),
    `- ${recs.length} corpus frames replayed ${N} times in memory`,
    '',
    '| run | ns/frame | analysis ns/frame |',
    '|---|---|---|',
    `| decode only | ${decodeNs.toFixed(0)} | |`,
    `| decode + TCP analysis, the same ${same.count} connections replayed (their sequence numbers repeat: many findings) | ${sameNs.toFixed(0)} | ${(sameNs - decodeNs).toFixed(0)} |`,
    `| decode + TCP analysis, a new connection every replay (${many.count} in all) | ${manyNs.toFixed(0)} | ${(manyNs - decodeNs).toFixed(0)} |`,
    '',
    `- heap after the replayed run: ${(sameHeap / 1e6).toFixed(2)} MB more than before it (nothing kept per packet)`,
    `- memory per connection: ${perConn.toFixed(0)} bytes`,
  ],
});
