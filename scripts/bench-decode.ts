// Decoder and headless throughput: frames per second decoding an in-memory capture (library), heap
// growth across the run, and whole-command comparisons with tcpdump and tshark on the same file.
//
//   node dist/scripts/bench-decode.js [--frames N] [--rounds R] [--from FILE]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { Dissection } from '../src/decode/dissection';
import { decodeFrame } from '../src/decode/decoder';
import { Pipeline } from '../src/pipeline';
import { DEFAULT_SOURCE } from './make-big-capture';
import { CLI, benchCapture, emit, has, sideBySide, machine } from './bench-lib';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** Load every frame of a file into one Buffer with an offset table: the decoder's input, in memory. */
function loadFrames(file: string): { buf: Buffer; off: Int32Array; len: Int32Array; link: number; count: number } {
  const reader = new CaptureFileReader(file);
  const f = new CapturedFrame();
  const size = fs.statSync(file).size;
  const buf = Buffer.allocUnsafe(size);
  const offs: number[] = [], lens: number[] = [];
  let p = 0, link = 1;
  while (reader.next(f)) {
    f.buf.copy(buf, p, f.off, f.off + f.capLen);
    offs.push(p); lens.push(f.capLen); link = f.linkType;
    p += f.capLen;
  }
  reader.close();
  return { buf, off: Int32Array.from(offs), len: Int32Array.from(lens), link, count: offs.length };
}

function main(): void {
  const frames = Number(arg('--frames', '1000000'));
  const rounds = Number(arg('--rounds', '3'));
  const from = arg('--from', fs.existsSync(DEFAULT_SOURCE) ? DEFAULT_SOURCE : '');
  if (!from) throw new Error('no source capture: give --from FILE (samples/lab.pcapng is the default)');
  const file = benchCapture(frames, from);
  const mem = loadFrames(file);
  const d = new Dissection();
  // warm up, then measure decode alone
  for (let i = 0; i < Math.min(mem.count, 200000); i++) decodeFrame(d, mem.buf, mem.off[i], mem.len[i], mem.link);
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  let passes = 0;
  do {
    for (let i = 0; i < mem.count; i++) decodeFrame(d, mem.buf, mem.off[i], mem.len[i], mem.link);
    passes++;
  } while (Number(process.hrtime.bigint() - t0) < 2e9);
  const decodeSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  const heapGrowth = process.memoryUsage().heapUsed - heap0;
  const decodeRate = (passes * mem.count) / decodeSecs;
  // decode + TCP analysis, as every command runs it
  const frame = new CapturedFrame();
  const pipe = new Pipeline({ sink: null });
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < mem.count; i++) {
    frame.buf = mem.buf; frame.off = mem.off[i]; frame.capLen = mem.len[i]; frame.origLen = mem.len[i]; frame.linkType = mem.link;
    frame.tsSec = 1700000000 + (i >> 10); frame.tsNsec = 0;
    pipe.handle(frame);
  }
  const pipeRate = mem.count / (Number(process.hrtime.bigint() - t1) / 1e9);

  const lines = [
    ...machine(),
    `- input: ${file} (${mem.count} frames replicated from ${path.basename(from)})`,
    '',
    '| measurement | result | target |',
    '|---|---|---|',
    `| decode, library (Ethernet/IP/TCP into one reused record) | ${(decodeRate / 1e6).toFixed(1)} M frames/s | ≥ 10 M frames/s |`,
    `| heap growth over ${(passes * mem.count / 1e6).toFixed(0)} M decoded frames | ${(heapGrowth / 1024).toFixed(0)} KiB | no per-packet allocation |`,
    `| decode + TCP stream analysis | ${(pipeRate / 1e6).toFixed(2)} M frames/s | |`,
  ];
  const fields = '-e frame.number -e frame.time_epoch -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e tcp.len';
  const cmds: [string, string, string, string][] = [];
  if (has('tcpdump')) cmds.push(['`tcpwatch -r F > /dev/null` vs `tcpdump -nn -r F`', `node ${CLI} -r ${file}`, `tcpdump -nn -r ${file}`, '≤ 1.0']);
  if (has('tshark')) {
    cmds.push(['`-T fields` (7 fields) vs tshark, same fields', `node ${CLI} -r ${file} -T fields ${fields}`, `tshark -n -r ${file} -T fields ${fields}`, '≤ 0.1']);
  }
  // Everyday traffic besides TCP and TLS: a corpus capture of name lookups, plain HTTP, QUIC, ARP,
  // ICMP, SSDP and NetBIOS, replicated, so the dissectors beyond TCP are on the measured path too.
  const corpus = process.env.TCPWATCH_CORPUS ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
  const everyday = path.join(corpus, 'valid', 'ja4', 'latest.pcapng');
  if (has('tcpdump') && fs.existsSync(everyday)) {
    const mixed = benchCapture(Math.min(frames, 300000), everyday);
    cmds.push(['`tcpwatch -r F` vs `tcpdump -nn -r F`, everyday traffic (DNS, HTTP, QUIC, ARP, ICMP … from ja4/latest.pcapng)', `node ${CLI} -r ${mixed}`, `tcpdump -nn -r ${mixed}`, '≤ 1.0']);
  }
  lines.push('', '| command (median of ' + rounds + ' runs, interleaved) | tcpwatch | other tool | ratio tcpwatch/other | target |', '|---|---|---|---|---|');
  for (const [label, ours, theirs, target] of cmds) {
    const [a, b] = sideBySide([ours, theirs], rounds);
    lines.push(`| ${label} | ${a.toFixed(2)} s | ${b.toFixed(2)} s | ${(a / b).toFixed(3)} | ${target} |`);
  }
  lines.push('', `Commands: \`${cmds.map((c) => c[1] + '` · `' + c[2]).join('` · `')}\``);
  emit({ title: 'Decoding and headless output', lines });
}

main();
