// Display filter throughput: the distinct frames of a real capture are decoded once (with TCP and
// TLS analysis, as the pipeline does) into their own Dissection records, then each filter runs over
// them in a loop until it has judged --frames packets. Reports packets per second per filter, the
// heap growth across a run (compiled filters allocate nothing for numeric and byte fields), a
// closure-composed version of one filter for comparison with the generated code tcpwatch uses,
// and decode + filter together.
//
//   node dist/scripts/bench-filter.js [--frames N] [--from FILE]

import * as fs from 'node:fs';
import * as path from 'node:path';
import '../src/packet-modules';
import { compileFilter } from '../src/filter';
import { getField, FieldDef } from '../src/fields/registry';
import { makeAnalyzers, MainOptions } from '../src/hooks';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { Dissection } from '../src/decode/dissection';
import { decodeFrame } from '../src/decode/decoder';
import { TcpStreamTable } from '../src/analysis/streams';
import { corpusDir } from '../test/helpers/corpus';
import { emit, machine } from './bench-lib';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const OPTS: MainOptions = { promiscuous: false, field: [], fieldOption: [], pref: [], ui: false };

interface Loaded {
  records: Dissection[];
  bytes: Buffer[];
  link: number[];
}

/** Every frame of a capture, decoded and analysed into its own record (frame bytes copied out of the reader's buffer). */
function predecode(file: string): Loaded {
  const reader = new CaptureFileReader(file);
  const frame = new CapturedFrame();
  const streams = new TcpStreamTable();
  const analyzers = [streams, ...makeAnalyzers(OPTS, reader)];
  const out: Loaded = { records: [], bytes: [], link: [] };
  let first = -1;
  while (reader.next(frame)) {
    const b = Buffer.from(frame.buf.subarray(frame.off, frame.off + frame.capLen));
    const d = new Dissection();
    decodeFrame(d, b, 0, b.length, frame.linkType);
    d.origLen = frame.origLen;
    d.tsSec = frame.tsSec;
    d.tsNsec = frame.tsNsec;
    d.number = out.records.length + 1;
    if (first < 0) first = frame.tsSec;
    d.firstTsSec = first;
    for (const a of analyzers) a.analyze(d);
    out.records.push(d);
    out.bytes.push(b);
    out.link.push(frame.linkType);
  }
  reader.close();
  return out;
}

interface Run {
  rate: number;
  matched: number;
  heapKiB: number;
}

/**
 * The best of five timed runs of `total` evaluations after one warm-up run: on a shared machine the
 * fastest run is the one least disturbed by other work.
 */
function measure(filter: (d: Dissection) => boolean, records: Dissection[], total: number): Run {
  const n = records.length;
  const once = (): { secs: number; matched: number } => {
    let matched = 0;
    const t0 = process.hrtime.bigint();
    for (let done = 0; done < total;) {
      const m = Math.min(n, total - done);
      for (let i = 0; i < m; i++) if (filter(records[i])) matched++;
      done += m;
    }
    return { secs: Number(process.hrtime.bigint() - t0) / 1e9, matched };
  };
  once();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const runs = [once(), once(), once(), once(), once()];
  const heapKiB = (process.memoryUsage().heapUsed - heap0) / 1024;
  runs.sort((a, b) => a.secs - b.secs);
  return { rate: total / runs[0].secs, matched: runs[0].matched, heapKiB };
}

/** The same test as `tcp.port == 443 && tcp.flags.syn == 1`, composed from closures once. */
function closureFilter(): (d: Dissection) => boolean {
  const anyEq = (f: FieldDef, v: number) => (d: Dissection): boolean => {
    const n = f.count(d);
    for (let i = 0; i < n; i++) if (f.num!(d, i) === v) return true;
    return false;
  };
  const and = (a: (d: Dissection) => boolean, b: (d: Dissection) => boolean) => (d: Dissection): boolean => a(d) && b(d);
  return and(anyEq(getField('tcp.port')!, 443), anyEq(getField('tcp.flags.syn')!, 1));
}

function main(): void {
  const total = Number(arg('--frames', '1000000'));
  const corpus = corpusDir();
  const dflt = corpus ? path.join(corpus, 'valid', 'ja4', 'latest.pcapng') : '';
  const from = arg('--from', dflt);
  if (!from || !fs.existsSync(from)) throw new Error('no source capture: give --from FILE (default: corpus valid/ja4/latest.pcapng)');
  const loaded = predecode(from);
  const tlsTyped = getField('tls.handshake.type') !== undefined;
  const typical = tlsTyped ? 'tcp.port == 443 && tls.handshake.type == 1' : 'tcp.port == 443 && tcp.flags.syn == 1';
  const filters: [string, string][] = [
    [typical, tlsTyped ? 'the issue\'s typical filter' : 'tls.handshake.type is not registered: header-field stand-in'],
    ['tcp.port == 443 && tcp.flags.syn == 1', 'header fields'],
    ['ip.addr == 172.16.0.0/12 && tcp.len > 0', 'header fields, CIDR'],
    ['tcp.port in {80, 443, 8080} and not tcp.analysis.flags', 'set, analysis flag'],
    ['eth.dst == ff:ff:ff:ff:ff:ff or ipv6.addr == fe80::/10', 'byte compares in place'],
    ['tcp.payload[0:3] == 16:03:01', 'slice'],
    ['tcp.payload contains "HTTP"', 'byte search'],
    ['tls.handshake.extensions_server_name contains "google"', 'string field'],
    ['tcp.payload matches "^get "', 'regular expression (decodes the payload to a string)'],
  ];
  const lines = [
    ...machine(),
    `- input: ${loaded.records.length} distinct frames of ${path.basename(from)}, decoded and analysed once, each filter run over them until it has judged ${total.toLocaleString('en')} packets (best of 5 runs)`,
    '',
    '| filter | what it exercises | packets/s | matched | heap growth over 5 runs | target |',
    '|---|---|---|---|---|---|',
  ];
  for (const [expr, what] of filters) {
    let f: (d: Dissection) => boolean;
    try { f = compileFilter(expr); } catch (e) { lines.push(`| \`${expr}\` | ${what} | not compiled: ${(e as Error).message} | | | |`); continue; }
    const r = measure(f, loaded.records, total);
    const header = what.startsWith('header');
    lines.push(`| \`${expr}\` | ${what} | ${(r.rate / 1e6).toFixed(1)} M | ${r.matched.toLocaleString('en')} | ${r.heapKiB.toFixed(0)} KiB | ${header ? '≥ 5 M/s' : expr === typical ? '1 M in well under 1 s' : ''} |`);
  }
  // Generated code against closures composed once, for the same test, measured alternately.
  const gen = compileFilter('tcp.port == 443 && tcp.flags.syn == 1'), clo = closureFilter();
  const genRates: number[] = [], cloRates: number[] = [];
  for (let r = 0; r < 3; r++) {
    genRates.push(measure(gen, loaded.records, total).rate);
    cloRates.push(measure(clo, loaded.records, total).rate);
  }
  const best = (xs: number[]): string => `${(Math.max(...xs) / 1e6).toFixed(1)} M`;
  lines.push('', `Generated code vs closures composed once, \`tcp.port == 443 && tcp.flags.syn == 1\`, measured alternately: generated ${best(genRates)}/s, closures ${best(cloRates)}/s.`);

  // Decoding and filtering together, without analysis: the cost a filter adds to a decode pass.
  const hdr = compileFilter('tcp.port == 443 && tcp.flags.syn == 1');
  const d = new Dissection();
  const decodeOnly = (withFilter: boolean): number => {
    const t0 = process.hrtime.bigint();
    let m = 0;
    for (let done = 0; done < total;) {
      for (let i = 0; i < loaded.bytes.length && done < total; i++, done++) {
        const b = loaded.bytes[i];
        decodeFrame(d, b, 0, b.length, loaded.link[i]);
        if (withFilter && hdr(d)) m++;
      }
    }
    if (m < 0) throw new Error('unreachable');
    return total / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  decodeOnly(true);
  const dec = decodeOnly(false), decf = decodeOnly(true);
  lines.push('', `Decode alone: ${(dec / 1e6).toFixed(1)} M frames/s; decode + \`tcp.port == 443 && tcp.flags.syn == 1\`: ${(decf / 1e6).toFixed(1)} M frames/s.`);
  lines.push('', 'Filters compile once to JavaScript (`new Function`) that calls the registry\'s accessors directly; numbers are compared as numbers and bytes in place.');
  emit({ title: 'Display filters', lines });
}

main();
