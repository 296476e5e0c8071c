// `npm run fuzz`: mutated frames from the corpus (bit flips, truncation, length fields set to
// 0/max/off-by-one, header splices) and random frames from Debian's randpkt, run through the decoder,
// the TCP/TLS analysis, display filters and every output (summary, details, hex, every registered
// field, JSON). Protected layers are reached as well: every SESSION_EVERY frames the mutations go into
// the plaintext of an HTTP/2 connection, which is then sealed in a TLS session that the pipeline
// decrypts with its key log (scripts/attacks/hpack-bomb.ts), or into the frames of a QUIC Initial,
// then protected with its Initial keys (scripts/attacks/quic-crypto-flood.ts); a mutated ciphertext
// would only ever fail authentication. Any exception or any frame over the time budget is a failure, and the frames that
// led to it are saved under test/fixtures/crashers/ as a pcap to keep as a regression file.
// A frame's time is wall-clock time less the garbage collection that ran during it (V8 reports each
// pause), and at most the CPU time the process used meanwhile: a collection, or a shared machine's
// scheduler keeping the process waiting, is not a hang; an endless loop, which burns CPU, is.
//
//   node dist/scripts/fuzz.js [--frames N] [--seed S] [--budget-ms M]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { PcapngWriter } from '../src/capture/file-writer';
import '../src/packet-modules';
import { hooks, makeAnalyzers, MainOptions } from '../src/hooks';
import { Pipeline, DisplayFilter } from '../src/pipeline';
import { Dissection } from '../src/decode/dissection';
import { allFields } from '../src/fields/registry';
import { formatField } from '../src/fields/format';
import { summaryLine, packetJson } from '../src/output/sinks';
import { detailsText } from '../src/output/details';
import { hexDumpLines } from '../src/output/hexdump';
import { getField } from '../src/fields/registry';
import { bombHttp2Bytes, clientHelloMessage, tls12Session, tlsSessionFrames } from './attacks/hpack-bomb';
import { protectedInitial, udpFrame } from './attacks/quic-crypto-flood';
import { h2frame } from './attacks/hpack-bomb';

export interface FuzzResult {
  frames: number;
  failures: string[];
  /** The slowest frame's wall-clock time, collections included. */
  slowest: number;
  /** Frames over budget by the clock but not by their own time: collections, or waiting for a CPU (after judgeSlowFrames). */
  judged: string[];
  heapGrowthMiB: number;
  seconds: number;
  /** Frames whose wall-clock time was over budget, to be judged once V8 has reported its GC pauses. */
  overBudget: SlowFrame[];
  /** Frames that reached decrypted HTTP/2, and QUIC Initials whose handshake messages were read. */
  reached: { http2: number; http2Headers: number; quicHandshake: number };
  /** Frames that reached each of the everyday protocols (EVERYDAY_PROTOCOLS). */
  reachedEveryday: Record<string, number>;
}

interface SlowFrame { n: number; start: number; ms: number; cpuMs: number; frames: Seed[] }

/** `whole`: a frame of a sealed session, captured whole (a snapshot cut would only lose its record). */
interface Seed { bytes: Buffer; linkType: number; whole?: boolean }

/** xorshift32: a small deterministic generator, so a failing seed can be replayed. */
class Rng {
  constructor(private s: number) { if (this.s === 0) this.s = 0x9e3779b9; }
  next(): number { let x = this.s; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; this.s = x >>> 0; return this.s; }
  below(n: number): number { return n <= 0 ? 0 : this.next() % n; }
}

export function loadSeeds(corpusDir: string | null): Seed[] {
  const seeds: Seed[] = [];
  const dirs = corpusDir ? [path.join(corpusDir, 'valid'), path.join(corpusDir, 'tls-keys'), path.join(corpusDir, 'malformed')] : [];
  // Real captures of what the corpus has too little of (test/fixtures/seeds/README.md).
  dirs.push(path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'seeds'));
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng)$/.test(e.name)) {
        try {
          const r = new CaptureFileReader(p);
          const f = new CapturedFrame();
          try { while (r.next(f)) seeds.push({ bytes: Buffer.from(f.buf.subarray(f.off, f.off + f.capLen)), linkType: f.linkType }); } catch { /* damaged file: keep what was read */ }
          r.close();
        } catch { /* not a capture */ }
      }
    }
  };
  dirs.forEach(walk);
  return seeds;
}

/** Random frames from randpkt (wireshark-common), when installed. */
export function randpktSeeds(count: number): Seed[] {
  const out: Seed[] = [];
  const file = path.join(os.tmpdir(), `tcpwatch-randpkt-${process.pid}.pcap`);
  for (const type of ['tcp', 'udp', 'eth', 'ip', 'ipv6', 'icmp', 'dns']) {
    const r = spawnSync('randpkt', ['-b', '1500', '-c', String(count), '-t', type, file], { stdio: 'ignore' });
    if (r.status !== 0 || !fs.existsSync(file)) continue;
    try {
      const reader = new CaptureFileReader(file);
      const f = new CapturedFrame();
      while (reader.next(f)) out.push({ bytes: Buffer.from(f.buf.subarray(f.off, f.off + f.capLen)), linkType: f.linkType });
      reader.close();
    } catch { /* randpkt wrote something unreadable: skip */ }
  }
  fs.rmSync(file, { force: true });
  return out;
}

function mutate(rng: Rng, src: Seed, other: Seed): Buffer {
  let b = Buffer.from(src.bytes);
  const kind = rng.below(6);
  switch (kind) {
    case 0: { // bit flips
      const n = 1 + rng.below(8);
      for (let i = 0; i < n && b.length; i++) b[rng.below(b.length)] ^= 1 << rng.below(8);
      break;
    }
    case 1: // truncation at any length
      b = b.subarray(0, rng.below(b.length + 1));
      break;
    case 2: { // a 16-bit field (lengths, counts) set to 0, max, or off by one
      if (b.length < 2) break;
      const o = rng.below(b.length - 1);
      const v = b.readUInt16BE(o);
      const choices = [0, 0xffff, (v + 1) & 0xffff, (v - 1) & 0xffff, v >> 1];
      b.writeUInt16BE(choices[rng.below(choices.length)], o);
      break;
    }
    case 3: { // an 8-bit field (header lengths, types) set to an edge value
      if (!b.length) break;
      const choices = [0, 0xff, 0x0f, 0xf0, 1];
      b[rng.below(b.length)] = choices[rng.below(choices.length)];
      break;
    }
    case 4: { // splice: the head of this frame with the tail of another
      const cut = rng.below(b.length + 1);
      const from = rng.below(other.bytes.length + 1);
      b = Buffer.concat([b.subarray(0, cut), other.bytes.subarray(from)]);
      break;
    }
    default: { // insert or delete a few bytes
      const at = rng.below(b.length + 1);
      if (rng.below(2)) b = Buffer.concat([b.subarray(0, at), Buffer.alloc(1 + rng.below(8), rng.below(256)), b.subarray(at)]);
      else b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.below(8)))]);
    }
  }
  return b;
}

// ---- seeds of the protected layers: plaintext that is mutated, then sealed ----

const LINKTYPE_ETHERNET = 1;
/** One frame in this many starts a session of the protected layers instead (half HTTP/2 in TLS, half QUIC). */
const SESSION_EVERY = 25;
/**
 * The everyday protocols a user sees on a LAN, whose corpus frames are few among thousands of TCP
 * and TLS ones: one mutated frame in EVERYDAY_EVERY is drawn from the seeds on their ports (or with
 * a form body), so that their dissectors see many broken variants in a short run. NTP's control
 * messages (mode 6) are counted apart by their data, whose name=value text has its own tokenizer;
 * NBNS's resource records (nbns.ttl) apart from its questions.
 */
const EVERYDAY_PROTOCOLS = ['dhcp', 'ntp', 'ntp.ctrl.data', 'ripng', 'nbns', 'nbns.ttl', 'nbss', 'smb2', 'ajp13', 'urlencoded-form'];
const EVERYDAY_PORTS = new Set([67, 68, 123, 521, 137, 139, 445, 8009]);
const EVERYDAY_EVERY = 8;
const FORM_BODY = Buffer.from('application/x-www-form-urlencoded');

/** The UDP or TCP ports of an Ethernet frame over IPv4 or IPv6 (no extension headers), or null. */
function transportPorts(b: Buffer, linkType: number): [number, number] | null {
  if (linkType !== LINKTYPE_ETHERNET || b.length < 14) return null;
  const etherType = b.readUInt16BE(12);
  let proto: number, l4: number;
  if (etherType === 0x0800 && b.length >= 34) { proto = b[23]; l4 = 14 + (b[14] & 0x0f) * 4; }
  else if (etherType === 0x86dd && b.length >= 54) { proto = b[20]; l4 = 54; }
  else return null;
  if ((proto !== 6 && proto !== 17) || b.length < l4 + 4) return null;
  return [b.readUInt16BE(l4), b.readUInt16BE(l4 + 2)];
}

function everydaySeeds(seeds: Seed[]): Seed[] {
  return seeds.filter((s) => {
    const ports = transportPorts(s.bytes, s.linkType);
    return (ports !== null && (EVERYDAY_PORTS.has(ports[0]) || EVERYDAY_PORTS.has(ports[1]))) || s.bytes.includes(FORM_BODY);
  });
}


/**
 * Plaintext HTTP/2 of both sides: RFC 7541 Appendix C's request and response blocks (Huffman-coded,
 * with the dynamic table and its evictions), a block over HEADERS and CONTINUATION, SETTINGS with a
 * table size, and frames of every other type; and a small bomb of references to one dynamic entry.
 */
function http2Seeds(): { client: Buffer; server: Buffer }[] {
  const hex = (h: string) => Buffer.from(h, 'hex');
  const settings = hex('000100002000' + '000600010000'); // HEADER_TABLE_SIZE 8192, MAX_HEADER_LIST_SIZE 65536
  const c2 = hex('828684be5886a8eb10649cbf');
  const client = Buffer.concat([
    Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
    h2frame(4, 0, 0, settings), h2frame(4, 1, 0, Buffer.alloc(0)),
    h2frame(1, 0x5, 1, hex('828684418cf1e3c2e5f23a6ba0ab90f4ff')), // C.4.1
    h2frame(1, 0x8 | 0x20, 3, Buffer.concat([Buffer.from([2]), hex('0000000010'), c2.subarray(0, 5), Buffer.alloc(2)])), // padded, priority
    h2frame(9, 0x4, 3, c2.subarray(5)), // C.4.2 ends in a CONTINUATION
    h2frame(1, 0x5, 5, hex('3fe11f828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf')), // size update 4096, C.4.3
    h2frame(0, 0x1, 3, Buffer.from('body')), h2frame(6, 0, 0, Buffer.alloc(8)), h2frame(8, 0, 0, hex('00010000')),
    h2frame(2, 0, 5, hex('0000000310')), h2frame(3, 0, 5, hex('00000008')), h2frame(7, 0, 0, hex('000000050000000000')),
  ]);
  const server = Buffer.concat([
    h2frame(4, 0, 0, settings), h2frame(4, 1, 0, Buffer.alloc(0)),
    h2frame(1, 0x4, 1, hex('488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3')), // C.6.1
    h2frame(1, 0x4, 3, hex('4883640effc1c0bf')), // C.6.2
    h2frame(5, 0x4, 1, Buffer.concat([hex('00000002'), hex('828684be')])), // PUSH_PROMISE
    h2frame(0, 0x1, 1, Buffer.from('hello')),
  ]);
  const bomb = bombHttp2Bytes({ bytes: 24 * 1024, tableSizeUpdate: null, valueBytes: 3000, refsPerBlock: 64 });
  return [{ client, server }, { client: bomb, server }];
}

/** QUIC Initial plaintext: a Client Hello in out-of-order CRYPTO frames, with PING, ACK and PADDING. */
function quicSeeds(): Buffer[] {
  const ch = clientHelloMessage(Buffer.alloc(32, 0x51), 'quic.fuzz.example');
  const crypto = (at: number, data: Buffer) => Buffer.concat([Buffer.from([0x06, 0x40 | (at >> 8), at & 0xff, 0x40 | (data.length >> 8), data.length & 0xff]), data]);
  const half = ch.length >> 1;
  return [
    Buffer.concat([crypto(half, ch.subarray(half)), Buffer.from([0x01]), crypto(0, ch.subarray(0, half)), Buffer.alloc(900)]),
    Buffer.concat([Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00]), crypto(0, ch), Buffer.from([0x1c, 0x00, 0x06, 0x00]), Buffer.alloc(900)]),
  ];
}

/** The frames of one protected session whose plaintext was mutated: TLS-sealed HTTP/2, or one protected QUIC Initial. */
function sessionFrames(rng: Rng, n: number, h2: { client: Buffer; server: Buffer }[], quic: Buffer[]): Seed[] {
  const seed = (bytes: Buffer): Seed => ({ bytes, linkType: LINKTYPE_ETHERNET, whole: true });
  if (rng.below(2) === 0) {
    const i = rng.below(h2.length), j = rng.below(h2.length);
    const client = mutate(rng, seed(h2[i].client), seed(h2[j].client));
    const server = rng.below(2) ? mutate(rng, seed(h2[i].server), seed(h2[j].server)) : h2[i].server;
    // Each session its own TCP connection; the port cycles so that streams are also reused.
    return tlsSessionFrames(tls12Session(client, server), 1024 + (n % 60000)).map(seed);
  }
  const plain = mutate(rng, seed(quic[rng.below(quic.length)]), seed(quic[rng.below(quic.length)]));
  const dcid = Buffer.alloc(8);
  dcid.writeUInt32BE(n >>> 0, 4);
  return [seed(udpFrame(protectedInitial(plain, 0, dcid), 443, 1024 + (n % 60000)))];
}

/** The key log line of every session sessionFrames makes, as a file for the pipeline's --keylog. */
function sessionKeylog(): string {
  const file = path.join(os.tmpdir(), `tcpwatch-fuzz-keylog-${process.pid}.txt`);
  fs.writeFileSync(file, tls12Session(Buffer.alloc(0)).keylog);
  return file;
}

const FILTERS = [
  'tcp.port == 443 && tls.handshake.type == 1', 'ip.addr == 10.0.0.0/8 or ipv6', 'tcp.payload contains "GET"',
  'tcp.analysis.retransmission', 'tls.handshake.extensions_server_name matches "(?i)example"', 'frame.len > 100 && !udp',
  'tcp.payload[0:2] == 16:03', 'eth.addr == ff:ff:ff:ff:ff:ff', 'tcp.stream in {0, 1, 2}',
];

export function runFuzz(opts: { frames: number; seed: number; budgetMs: number; corpus: string | null; crashDir: string; randpkt: boolean }): FuzzResult {
  const t0 = Date.now();
  const rng = new Rng(opts.seed);
  const seeds = loadSeeds(opts.corpus);
  if (opts.randpkt) seeds.push(...randpktSeeds(200));
  if (seeds.length === 0) throw new Error('no seed frames: the corpus was not found and randpkt is not installed');
  const filters: DisplayFilter[] = [];
  if (hooks.compileFilter) for (const f of FILTERS) { try { filters.push(hooks.compileFilter(f)); } catch { /* field not registered in this build */ } }
  const fields = allFields();
  const failures: string[] = [];
  const overBudget: SlowFrame[] = [];
  let slowest = 0;
  const frame = new CapturedFrame();
  const recent: Seed[] = [];
  const reached = { http2: 0, http2Headers: 0, quicHandshake: 0 };
  const http2Field = getField('http2'), headerField = getField('http2.header.name'), hsField = getField('tls.handshake.type');
  const everyday = everydaySeeds(seeds);
  const reachedEveryday: Record<string, number> = {};
  const everydayFields = EVERYDAY_PROTOCOLS.map((name) => { reachedEveryday[name] = 0; return [name, getField(name)] as const; });
  const h2 = http2Seeds(), quic = quicSeeds();
  const keylog = sessionKeylog();
  const sinkCheck = {
    frame(d: Dissection): void {
      if (http2Field !== undefined && http2Field.count(d) > 0) reached.http2++;
      if (headerField !== undefined && headerField.count(d) > 0) reached.http2Headers++;
      if (d.udpOff >= 0 && hsField !== undefined && hsField.count(d) > 0) reached.quicHandshake++;
      for (const [name, f] of everydayFields) if (f !== undefined && f.count(d) > 0) reachedEveryday[name]++;
      summaryLine(d, 9);
      detailsText(d);
      hexDumpLines(d.buf, d.frameOff, d.capLen);
      for (const f of fields) { const n = f.count(d); for (let i = 0; i < n && i < 64; i++) formatField(f, d, i); }
      packetJson(d, { pretty: true, grouped: false });
      for (const flt of filters) flt(d);
    },
    end(): void { /* nothing to flush */ },
  };
  const opts0 = { pref: [], field: [], fieldOption: [], promiscuous: true, ui: false, keylog } as unknown as MainOptions;
  let pipeline = new Pipeline({ sink: sinkCheck, analyzers: makeAnalyzers(opts0, null) });
  // Heap growth means what stays reachable: collected before and after, also when node runs without
  // --expose-gc (as under node --test), so garbage not yet collected is not counted.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  let batch: Seed[] = [];
  for (let n = 0, step = 0; n < opts.frames; n++) {
    // A fresh pipeline now and then, so analysis state is exercised from empty as well as full.
    if (n % 50000 === 0 && n > 0) pipeline = new Pipeline({ sink: sinkCheck, analyzers: makeAnalyzers(opts0, null) });
    if (batch.length === 0) {
      step++;
      if (step % SESSION_EVERY === 0) batch = sessionFrames(rng, n, h2, quic);
      else {
        const pool = everyday.length > 0 && step % EVERYDAY_EVERY === 0 ? everyday : seeds;
        const src = pool[rng.below(pool.length)];
        const bytes = rng.below(10) === 0 ? src.bytes : mutate(rng, src, seeds[rng.below(seeds.length)]);
        batch = [{ bytes, linkType: src.linkType }];
      }
      batch.reverse(); // taken from the end
    }
    const next = batch.pop()!;
    const bytes = next.bytes;
    recent.push(next);
    if (recent.length > 32) recent.shift();
    frame.buf = bytes; frame.off = 0; frame.capLen = bytes.length; frame.origLen = bytes.length + (next.whole ? 0 : rng.below(3));
    frame.linkType = next.linkType; frame.tsSec = 1700000000 + (n >> 12); frame.tsNsec = (n * 7919) % 1e9;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    try {
      pipeline.handle(frame);
    } catch (e) {
      failures.push(`frame ${n}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      saveCrasher(opts.crashDir, recent, opts.seed, n);
      pipeline = new Pipeline({ sink: sinkCheck, analyzers: makeAnalyzers(opts0, null) });
    }
    const ms = performance.now() - start;
    if (ms > slowest) slowest = ms;
    if (ms > opts.budgetMs) {
      const cpu = process.cpuUsage(cpuStart);
      overBudget.push({ n, start, ms, cpuMs: (cpu.user + cpu.system) / 1000, frames: recent.slice() });
    }
    if (failures.length >= 20 || overBudget.length >= 1000) break;
  }
  fs.rmSync(keylog, { force: true });
  gc();
  return {
    frames: opts.frames, failures, slowest, judged: [], overBudget, reached, reachedEveryday,
    heapGrowthMiB: (process.memoryUsage().heapUsed - heap0) / 2 ** 20, seconds: (Date.now() - t0) / 1000,
  };
}

/** GC pauses, observed from before a run until judgeSlowFrames reads them. */
export function watchGcPauses(): { pauses: { start: number; end: number }[]; stop(): void } {
  const pauses: { start: number; end: number }[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });
  return { pauses, stop: () => obs.disconnect() };
}

/**
 * Judge the frames that took longer than the budget by the clock: their time less the GC pauses
 * within them. Those still over budget are failures, and the frames before them are saved.
 */
export async function judgeSlowFrames(res: FuzzResult, gc: ReturnType<typeof watchGcPauses>, budgetMs: number, seed: number, crashDir: string): Promise<void> {
  // The observer hears of the run's collections once the event loop turns.
  await new Promise((r) => setTimeout(r, 50));
  gc.stop();
  for (const f of res.overBudget) {
    let gcMs = 0;
    for (const p of gc.pauses) gcMs += Math.max(0, Math.min(p.end, f.start + f.ms) - Math.max(p.start, f.start));
    const own = Math.min(f.ms - gcMs, f.cpuMs);
    const how = `${f.ms.toFixed(1)} ms by the clock, ${gcMs.toFixed(1)} ms of it garbage collection, ${f.cpuMs.toFixed(1)} ms of CPU`;
    if (own > budgetMs) {
      res.failures.push(`frame ${f.n}: ${how} (budget ${budgetMs} ms)`);
      saveCrasher(crashDir, f.frames, seed, f.n);
    } else {
      res.judged.push(`frame ${f.n}: ${how}`);
    }
  }
}

function saveCrasher(dir: string, frames: Seed[], seed: number, n: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `crash-seed${seed}-frame${n}.pcapng`);
  const w = new PcapngWriter(file);
  const f = new CapturedFrame();
  frames.forEach((s, i) => w.write(f.wrap(s.bytes, s.linkType, 1700000000, i)));
  w.close();
}

if (require.main === module) {
  const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : dflt; };
  const root = path.resolve(__dirname, '..', '..');
  const corpus = process.env.TCPWATCH_CORPUS ?? path.resolve(root, '..', 'shared', 'corpus');
  const seed = Number(arg('--seed', String(Date.now() % 1e9)));
  const budgetMs = Number(arg('--budget-ms', '250'));
  const crashDir = path.join(root, 'test', 'fixtures', 'crashers');
  const gc = watchGcPauses();
  const res = runFuzz({ frames: Number(arg('--frames', '1000000')), seed, budgetMs, corpus: fs.existsSync(corpus) ? corpus : null, crashDir, randpkt: true });
  void judgeSlowFrames(res, gc, budgetMs, seed, crashDir).then(() => {
    process.stdout.write(`fuzz: ${res.frames} frames (seed ${seed}) in ${res.seconds.toFixed(1)} s, ${res.failures.length} failures, ` +
      `slowest frame ${res.slowest.toFixed(2)} ms, ${res.overBudget.length} over ${budgetMs} ms by the clock, heap growth ${res.heapGrowthMiB.toFixed(1)} MiB; ` +
      `reached: ${res.reached.http2} frames with HTTP/2 (${res.reached.http2Headers} with decoded headers), ${res.reached.quicHandshake} QUIC Initials with handshake messages, ` +
      `${Object.entries(res.reachedEveryday).map(([name, n]) => `${n} ${name}`).join(', ')} frames\n`);
    for (const j of res.judged) process.stdout.write(`  ${j}\n`);
    for (const f of res.failures) process.stdout.write(`  ${f}\n`);
    process.exit(res.failures.length ? 1 : 0);
  });
}
