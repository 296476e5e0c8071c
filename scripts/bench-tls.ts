// TLS dissection cost: nanoseconds per frame for decode + TCP analysis with and without the TLS
// analyzer, over the corpus's TLS captures replayed in memory (each replay moves the ports, so every
// pass is new conversations whose records are cut, collected across segments and described), and
// the heap left behind. The per-frame record is reused: the heap must not grow with the frames.
//
//   npx tsc -p tsconfig.json && node --expose-gc dist/scripts/bench-tls.js [--frames N]

import * as path from 'node:path';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { Dissection } from '../src/decode/dissection';
import { decodeFrame } from '../src/decode/decoder';
import { TcpStreamTable } from '../src/analysis/streams';
import { TlsAnalyzer } from '../src/tls/analyzer';
import { emit, machine, ROOT } from './bench-lib';

const framesArg = process.argv.indexOf('--frames');
const N = framesArg >= 0 ? Number(process.argv[framesArg + 1]) : 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const corpus = process.env.TCPWATCH_CORPUS ?? path.resolve(ROOT, '..', 'shared', 'corpus');
// TLS over TCP; QUIC Initial packets (AES-GCM and header protection per packet) are measured apart.
const files = ['valid/ja4/latest.pcapng', 'valid/ja4/browsers-x509.pcapng', 'valid/ja4/macos_tcp_flags.pcap',
  'tls-keys/illustrated-tls12/capture.pcap', 'tls-keys/snet/tls1.3_curl_google.pcap', 'valid/local/ipv6-tls13.pcap'];
const quicFile = 'valid/ja4/tls-sni.pcapng';

interface Rec { buf: Buffer; linkType: number; origLen: number; sec: number; nsec: number }
function load(list: string[]): Rec[] {
  const out: Rec[] = [];
  for (const f of list) {
    const r = new CaptureFileReader(path.join(corpus, f));
    const fr = new CapturedFrame();
    while (r.next(fr)) out.push({ buf: Buffer.from(fr.buf.subarray(fr.off, fr.off + fr.capLen)), linkType: fr.linkType, origLen: fr.origLen, sec: fr.tsSec, nsec: fr.tsNsec });
    r.close();
  }
  return out;
}
let recs = load(files);

const d = new Dissection();
let tlsFrames = 0;
function pass(n: number, table: TcpStreamTable, tls: TlsAnalyzer | null): number {
  tlsFrames = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = recs[i % recs.length];
    decodeFrame(d, r.buf, 0, r.buf.length, r.linkType);
    if (d.tcpOff >= 0 || d.udpOff >= 0) {
      // a new conversation every replay: move both ports
      const k = Math.floor(i / recs.length);
      d.srcPort = (d.srcPort + k * 7) & 0xffff;
      d.dstPort = (d.dstPort + k * 7) & 0xffff;
    }
    d.number = i + 1;
    d.tsSec = r.sec + Math.floor(i / recs.length);
    d.tsNsec = r.nsec;
    d.origLen = r.origLen;
    table.analyze(d);
    if (tls !== null) {
      tls.analyze(d);
      if (d.tls.recordCount > 0 || d.tls.msgCount > 0) tlsFrames++;
    }
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

pass(Math.min(N, 100_000), new TcpStreamTable(), new TlsAnalyzer()); // warm up
const tcpNs = pass(N, new TcpStreamTable(), null);
gc();
const h0 = process.memoryUsage().heapUsed;
const tls = new TlsAnalyzer();
const tlsNs = pass(N, new TcpStreamTable(), tls);
const described = tlsFrames;
gc();
const heap = process.memoryUsage().heapUsed - h0;

// QUIC: the Client Hellos of Chrome's Initial packets, every replay a new connection (new keys)
recs = load([quicFile]);
const quicN = Math.min(N, 200_000);
const quicTcpNs = pass(quicN, new TcpStreamTable(), null);
const quicTls = new TlsAnalyzer();
const quicNs = pass(quicN, new TcpStreamTable(), quicTls);
const quicHellos = tlsFrames;

emit({
  title: 'TLS dissection',
  lines: [
    ...machine(),
    `- ${recs.length} frames of ${files.length} corpus TLS captures replayed to ${N} frames in memory, new ports every replay`,
    '',
    '| run | ns/frame | TLS ns/frame |',
    '|---|---|---|',
    `| decode + TCP analysis | ${tcpNs.toFixed(0)} | |`,
    `| decode + TCP analysis + TLS records, handshake, QUIC Initials | ${tlsNs.toFixed(0)} | ${(tlsNs - tcpNs).toFixed(0)} |`,
    '',
    `- frames with TLS records or handshake messages: ${described} of ${N}`,
    `- TLS conversations: ${tls.stats.conversations}; records completed from several segments: ${tls.stats.recordsReassembled}`,
    `- reassembly buffers held at the end: ${(tls.pool.inUse / 1024).toFixed(0)} KiB (of a ${tls.pool.budget / 2 ** 20} MiB budget); bytes given up to stay in it: ${tls.stats.bytesDropped}`,
    `- heap after the run, including the TCP table: ${(heap / 1e6).toFixed(2)} MB more than before`,
    `- QUIC (${quicFile}, ${quicN} frames, new connection every replay): ${quicNs.toFixed(0)} ns/frame against ${quicTcpNs.toFixed(0)} without TLS; ${quicHellos} frames with a Hello, about ${((quicNs - quicTcpNs) * quicN / Math.max(1, quicHellos) / 1000).toFixed(1)} µs per Hello frame`,
  ],
});
