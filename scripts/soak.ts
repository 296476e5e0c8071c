// Long live runs (issue 10): tcpwatch captures lo for minutes under a steady, bounded loopback load,
// headless with -w and in the UI (in a private tmux) with a low --memory-budget, while tcpdump
// captures the same traffic beside it. Every few seconds each tcpwatch process's resident memory is
// read from /proc/PID/status. At the end every run is stopped by one of SIGINT, SIGTERM and SIGHUP
// (all runs capture at the same time, so each signal gets the whole duration), and the table says
// per run: exit status, seconds from signal to exit, frames in its -w file, whether tshark reads that
// file to the end, whether it holds exactly the packets tcpdump captured (byte for byte, as a
// multiset) and every datagram the sender sent, and whether memory stayed flat.
//
//   npm run soak -- [--seconds 600] [--rate 1000] [--connections 4] [--messages 20] [--churn 2]
//                   [--every 5] [--memory-budget 8] [--modes headless,ui] [--tolerance 8] [--keep DIR]
//                   [--heap-every 30]
//
// Load (all on 127.0.0.1, all stopped by the clock): --rate UDP datagrams per second from the
// Python sender of scripts/loopback-load.ts (each numbered), --connections TCP connections each
// sending --messages 100-byte requests per second that a local server echoes, and --churn short
// connections per second (connect, one request and answer, close), so streams open and end all run.
//
// Flat: the first 20% of samples are warm-up (JIT, heap sizing, the kernel ring's slots being
// touched for the first time). Over the last 80%, after subtracting what the run keeps per packet by
// design, no sample lies more than --tolerance MiB above their median (RSS falling back, as V8 or
// the allocator returns pages, is no leak; a leak puts the late samples above the median). By design headless runs keep
// nothing per packet; the UI's packet store keeps a 64-byte index row per packet (store/columns.ts),
// allocated in chunks (the frames themselves are in the spool file on disk, capture/spool.ts). A UI
// run is two processes, the UI and its capture process (capture/capture-child.ts): its RSS is their
// sum, and each is also shown on its own. The packets a run had seen at a sample's time are
// estimated from its final count and the steady load.
// The table also gives the raw growth over the last 80% per packet seen in that time (a least-squares
// slope), which is what a leak would show as.
//
// --heap-every N (0: off): every N seconds each run writes a Node diagnostic report (--report-on-signal,
// SIGUSR2), from which the JavaScript heap in use, the memory outside it (ArrayBuffers: the packet
// index, the spool cache) and what V8 has committed for its heap (and for its young generation) are
// read. RSS cannot tell garbage not yet collected from live data; the lowest heap in use over each
// quarter of the run (just after a collection) can, and the committed heap says how much of RSS is
// V8 keeping room.
//
// Needs root (or CAP_NET_RAW), the cap module, tcpdump, tshark, python3 and, for the UI runs, tmux.

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { prepareUdpLoad, LOAD_TAG } from './loopback-load';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'tcpwatch.js');
const CLK_TCK = 100;
const MiB = 1024 * 1024;
// Ethernet (lo's zero MAC header) + IPv4 without options + UDP: where the sender's tag starts.
const UDP_PAYLOAD_OFF = 14 + 20 + 8;
const IPPROTO_UDP = 17;
/** Tag of the datagrams that check every capture is running before the load starts (not compared). */
const PROBE_TAG = 0x70726f62; // "prob"
/** Bytes the UI run keeps per packet by design: the store's index row (frames are on disk). */
const UI_BYTES_PER_PACKET = 64;
const WARMUP_SHARE = 0.2;
const STOP_TIMEOUT_MS = 20_000;
const READY_TIMEOUT_MS = 30_000;
const TCP_MESSAGE_LEN = 100;

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export type RunMode = 'headless' | 'ui';

export interface SoakOptions {
  seconds: number;
  /** UDP datagrams per second. */
  rate: number;
  connections: number;
  /** Requests per second on each persistent connection. */
  messages: number;
  /** New short connections per second. */
  churn: number;
  /** Seconds between memory samples. */
  every: number;
  memoryBudgetMiB: number;
  modes: RunMode[];
  signals: StopSignal[];
  toleranceMiB: number;
  /** Seconds between diagnostic reports for heap figures; 0 for none. */
  heapEvery: number;
  /** Keep the files here (a new temporary directory, removed afterwards, when undefined). */
  keep?: string;
  log?: (line: string) => void;
}

export const DEFAULT_SOAK: SoakOptions = {
  seconds: 600,
  rate: 1000,
  connections: 4,
  messages: 20,
  churn: 2,
  every: 5,
  memoryBudgetMiB: 8,
  modes: ['headless', 'ui'],
  signals: ['SIGINT', 'SIGTERM', 'SIGHUP'],
  toleranceMiB: 8,
  heapEvery: 30,
};

export interface Sample {
  /** Seconds since the load started (negative: before). */
  t: number;
  rssKiB: number;
  /** A UI run: RSS of the UI process and of its capture process (their sum is rssKiB). */
  parts?: [number, number];
}

export interface HeapSample {
  t: number;
  /** JavaScript heap in use, and memory V8 counts outside it (ArrayBuffers), in MiB. */
  usedMiB: number;
  externalMiB: number;
  /** Memory V8 holds for its heap (committed), used or not; and the young generation's share of it. */
  committedMiB: number;
  newSpaceMiB: number;
}

export interface FileCheck {
  frames: number;
  /** Frames of the load (probes left out). */
  loadFrames: number;
  /** Load frames tcpdump has and this file does not, and the other way round. */
  missing: number;
  extra: number;
  /** Distinct sender datagrams in the file, of those sent. */
  udpSeen: number;
  tsharkFrames: number | null;
  /** tshark's complaint (stderr) or exit status, or null when it read the file cleanly. */
  tsharkProblem: string | null;
}

export interface RunResult {
  name: string;
  mode: RunMode;
  signal: StopSignal;
  exitStatus: number | null;
  exitSignal: string | null;
  stopSeconds: number | null;
  stderr: string;
  samples: Sample[];
  heap: HeapSample[];
  cpuSeconds: number;
  file: FileCheck;
  memory: MemoryVerdict;
  /** A UI run: the UI process and its capture process on their own. */
  memoryParts?: { ui: MemoryVerdict; capture: MemoryVerdict };
}

export interface MemoryVerdict {
  firstMiB: number;
  medianMiB: number;
  maxMiB: number;
  lastMiB: number;
  /** Largest rise above the median, over the last 80%, after subtracting the by-design growth. Falls
   * (V8 or the allocator giving pages back) are not counted: a leak shows as late samples above the
   * median, half the growth over the span. */
  spreadMiB: number;
  /** Raw RSS growth over the last 80% per packet seen in that time (bytes). */
  bytesPerPacket: number;
  flat: boolean;
}

export interface SoakResult {
  options: SoakOptions;
  udpSent: number;
  udpSeconds: number;
  tcpRequests: number;
  tcpAnswers: number;
  shortConnections: number;
  reference: { frames: number; loadFrames: number; droppedByKernel: number | null; tsharkProblem: string | null };
  runs: RunResult[];
  loadSeconds: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function rssKiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A tcpwatch run: headless as a child process, or the UI inside its own tmux session. */
interface Capture {
  name: string;
  mode: RunMode;
  signal: StopSignal;
  file: string;
  pid: number;
  /** The UI's capture process, once found (UI runs). */
  capturePid: number | null;
  samples: Sample[];
  heap: HeapSample[];
  cpu: number;
  /** Resolves with exit status and signal once the process has ended. */
  exited(): Promise<{ status: number | null; signal: string | null }>;
  stderr(): string;
}

function startHeadless(name: string, signal: StopSignal, file: string, filter: string, nodeOptions: string): Capture {
  const env = nodeOptions === '' ? process.env : { ...process.env, NODE_OPTIONS: nodeOptions };
  const child = spawn(process.execPath, [CLI, '-i', 'lo', '-q', '-w', file, '-f', filter], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ status: number | null; signal: string | null }>((r) => child.on('close', (status, sig) => r({ status, signal: sig })));
  return { name, mode: 'headless', signal, file, pid: child.pid!, capturePid: null, samples: [], heap: [], cpu: 0, exited: () => exit, stderr: () => err };
}

class TmuxServer {
  readonly socket = `tcpwatch-soak-${process.pid}`;
  run(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

/** The one child of a process (the shell's foreground command), once it has started. */
async function childOf(pid: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    try {
      const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (kids !== '') return Number(kids.split(' ')[0]);
    } catch {
      // not yet
    }
    await sleep(25);
  }
  throw new Error(`process ${pid} started nothing`);
}

async function startUi(tmux: TmuxServer, name: string, signal: StopSignal, file: string, filter: string, budgetMiB: number, errFile: string, nodeOptions: string): Promise<Capture> {
  const session = name.replace(/[^A-Za-z0-9]/g, '-');
  const args = ['-i', 'lo', '-w', file, '--memory-budget', String(budgetMiB), '-f', filter];
  const statusFile = `${errFile}.status`;
  // The pane's shell runs tcpwatch in the foreground and writes its exit status where we can read
  // it (tmux's own pane_dead_status is empty when the terminal closes before the child is reaped).
  const nodeEnv = nodeOptions === '' ? '' : `NODE_OPTIONS=${shellQuote(nodeOptions)} `;
  const cmd = `env TERM=xterm-256color LANG=C.UTF-8 ${nodeEnv}${shellQuote(process.execPath)} ${shellQuote(CLI)} ${args.map(shellQuote).join(' ')} 2>${shellQuote(errFile)}; ` +
    `echo $? > ${shellQuote(statusFile)}; sleep 600`;
  tmux.run(['new-session', '-d', '-x', '160', '-y', '50', '-s', session, cmd]);
  const shell = Number(tmux.run(['display-message', '-p', '-t', session, '#{pane_pid}']).trim());
  const pid = await childOf(shell);
  const exit = (async () => {
    for (;;) {
      if (fileSize(statusFile) > 0) {
        // the shell reports death by signal N as 128 + N
        const n = Number(fs.readFileSync(statusFile, 'utf8').trim());
        return n > 128 ? { status: null, signal: `signal ${n - 128}` } : { status: n, signal: null };
      }
      await sleep(50);
    }
  })();
  return {
    name, mode: 'ui', signal, file, pid, capturePid: null, samples: [], heap: [], cpu: 0,
    exited: () => exit,
    stderr: () => (fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8') : ''),
  };
}

/** The capture process a UI started (capture-child.js among its children), or null. */
function captureChildOf(pid: number): number | null {
  try {
    for (const kid of fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter((k) => k !== '')) {
      if (fs.readFileSync(`/proc/${kid}/cmdline`, 'utf8').includes('capture-child.js')) return Number(kid);
    }
  } catch {
    // ended
  }
  return null;
}

/** RSS of a run: the process, plus its capture process for the UI. */
function runRss(c: Capture): Sample['parts'] | number | null {
  const main = rssKiB(c.pid);
  if (main === null) return null;
  if (c.mode !== 'ui') return main;
  c.capturePid ??= captureChildOf(c.pid);
  const child = c.capturePid === null ? null : rssKiB(c.capturePid);
  return child === null ? null : [main, child];
}

/** Echo server and clients: steady request/answer traffic on a few connections, plus short ones. */
class TcpLoad {
  requests = 0;
  answers = 0;
  shortConnections = 0;
  private server: net.Server | null = null;
  private sockets: net.Socket[] = [];
  private timers: NodeJS.Timeout[] = [];
  private pending = new Set<net.Socket>();
  port = 0;
  private stopped = false;

  async listen(): Promise<number> {
    this.server = net.createServer((s) => {
      s.on('data', (d) => s.write(d));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  async start(connections: number, perSecond: number, churn: number): Promise<void> {
    const message = Buffer.alloc(TCP_MESSAGE_LEN, 0x61);
    message[TCP_MESSAGE_LEN - 1] = 0x0a;
    for (let i = 0; i < connections; i++) {
      const s = net.connect(this.port, '127.0.0.1');
      await new Promise<void>((r, j) => s.once('connect', () => r()).once('error', j));
      s.setNoDelay(true);
      let got = 0;
      s.on('data', (d) => {
        got += d.length;
        while (got >= TCP_MESSAGE_LEN) {
          got -= TCP_MESSAGE_LEN;
          this.answers++;
        }
      });
      this.sockets.push(s);
      this.timers.push(setInterval(() => {
        s.write(message);
        this.requests++;
      }, 1000 / perSecond));
    }
    if (churn > 0) {
      this.timers.push(setInterval(() => {
        const s = net.connect(this.port, '127.0.0.1', () => s.write(message));
        this.pending.add(s);
        s.setNoDelay(true);
        s.once('data', () => s.end());
        s.on('error', () => {});
        s.once('close', () => {
          this.pending.delete(s);
          this.shortConnections++;
        });
      }, 1000 / churn));
    }
  }

  /** Stop sending, let the answers in flight arrive, close every connection and the server. Once only. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await sleep(300);
    const closing = [...this.sockets, ...this.pending].map((s) => new Promise<void>((r) => {
      if (s.destroyed) return r();
      s.once('close', () => r());
      s.end();
    }));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closing), new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

/** FNV-1a over the frame's bytes, twice with different offsets, as one 52-bit number. */
function frameHash(buf: Buffer, off: number, len: number): number {
  let a = 0x811c9dc5, b = 0x01000193 ^ len;
  for (let i = off, end = off + len; i < end; i++) {
    a = Math.imul(a ^ buf[i], 0x01000193);
    b = Math.imul(b ^ buf[i], 0x01000197);
  }
  return (a >>> 0) * 1048576 + (b >>> 12);
}

interface FileScan {
  frames: number;
  hashes: Float64Array;
  udpSeqs: Uint8Array;
}

/** Every frame of a -w file: hashes of the load's frames (sorted), and which datagrams arrived. */
function scanFile(file: string, udpSent: number, udpPort: number): FileScan {
  const reader = new CaptureFileReader(file);
  const frame = new CapturedFrame();
  let hashes = new Float64Array(1 << 16);
  let n = 0;
  let frames = 0;
  const udpSeqs = new Uint8Array(Math.max(1, udpSent));
  try {
    while (reader.next(frame)) {
      frames++;
      const b = frame.buf, o = frame.off;
      const isUdpToLoad = frame.capLen >= UDP_PAYLOAD_OFF + 8 && b[o + 12] === 0x08 && b[o + 13] === 0x00 &&
        b[o + 23] === IPPROTO_UDP && b.readUInt16BE(o + 36) === udpPort;
      if (isUdpToLoad) {
        const tag = b.readUInt32BE(o + UDP_PAYLOAD_OFF);
        if (tag === PROBE_TAG) continue;
        if (tag === LOAD_TAG) {
          const seq = b.readUInt32BE(o + UDP_PAYLOAD_OFF + 4);
          if (seq < udpSeqs.length) udpSeqs[seq] = 1;
        }
      }
      if (n === hashes.length) {
        const grown = new Float64Array(n * 2);
        grown.set(hashes);
        hashes = grown;
      }
      hashes[n++] = frameHash(b, o, frame.capLen);
    }
  } finally {
    reader.close();
  }
  const out = hashes.slice(0, n);
  out.sort();
  return { frames, hashes: out, udpSeqs };
}

/** Load frames in `a` that `b` lacks, and in `b` that `a` lacks (both sorted). */
function multisetDifference(a: Float64Array, b: Float64Array): { onlyA: number; onlyB: number } {
  let i = 0, j = 0, onlyA = 0, onlyB = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { i++; j++; } else if (a[i] < b[j]) { onlyA++; i++; } else { onlyB++; j++; }
  }
  return { onlyA: onlyA + (a.length - i), onlyB: onlyB + (b.length - j) };
}

/** tshark reads the whole file: its frame count, or what it complained about. */
function tsharkCheck(file: string): Promise<{ frames: number | null; problem: string | null }> {
  return new Promise((resolve) => {
    const child = spawn('tshark', ['-r', file, '-n', '-q', '-z', 'io,stat,0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (status) => {
      const complaint = err.split('\n').filter((l) => l.trim() !== '' && !/^Running as user/.test(l)).join(' ');
      const m = /\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|\s*(\d+)\s*\|/.exec(out);
      const problem = complaint !== '' ? complaint : status !== 0 ? `tshark exit status ${status}` : null;
      resolve({ frames: m ? Number(m[1]) : (problem === null ? 0 : null), problem });
    });
  });
}

export function memoryVerdict(samples: Sample[], mode: RunMode, frames: number, loadSeconds: number, toleranceMiB: number): MemoryVerdict {
  const during = samples.filter((s) => s.t >= 0);
  const all = during.length >= 3 ? during : samples;
  const tail = all.slice(Math.floor(all.length * WARMUP_SHARE));
  const perPacket = mode === 'ui' ? UI_BYTES_PER_PACKET : 0;
  const seenAt = (t: number) => frames * Math.max(0, Math.min(1, t / loadSeconds));
  const adjusted = tail.map((s) => s.rssKiB * 1024 - perPacket * seenAt(s.t));
  const median = quantile(adjusted, 0.5);
  const spread = adjusted.reduce((m, v) => Math.max(m, v - median), 0);
  // least-squares slope of raw RSS against packets seen
  const xs = tail.map((s) => seenAt(s.t));
  const ys = tail.map((s) => s.rssKiB * 1024);
  const mx = xs.reduce((a, v) => a + v, 0) / Math.max(1, xs.length);
  const my = ys.reduce((a, v) => a + v, 0) / Math.max(1, ys.length);
  let sxy = 0, sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const rss = all.map((s) => s.rssKiB / 1024);
  return {
    firstMiB: rss[0] ?? 0,
    medianMiB: quantile(tail.map((s) => s.rssKiB / 1024), 0.5),
    maxMiB: Math.max(...rss),
    lastMiB: rss[rss.length - 1] ?? 0,
    spreadMiB: spread / MiB,
    bytesPerPacket: sxx > 0 ? sxy / sxx : 0,
    flat: tail.length > 0 && spread <= toleranceMiB * MiB,
  };
}

/** The UI process (keeps its index rows by design) and its capture process (keeps nothing) alone. */
function partVerdicts(samples: Sample[], frames: number, loadSeconds: number, toleranceMiB: number): { ui: MemoryVerdict; capture: MemoryVerdict } {
  const part = (k: 0 | 1) => samples.filter((x) => x.parts !== undefined).map((x) => ({ t: x.t, rssKiB: x.parts![k] }));
  return {
    ui: memoryVerdict(part(0), 'ui', frames, loadSeconds, toleranceMiB),
    capture: memoryVerdict(part(1), 'headless', frames, loadSeconds, toleranceMiB),
  };
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? (() => {});
  const dir = o.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-soak-'));
  fs.mkdirSync(dir, { recursive: true });
  // Live captures write -w after giving up root (to the tcpdump account or nobody): let it in.
  fs.chmodSync(dir, 0o777);
  const udp = await prepareUdpLoad(o.rate, o.seconds);
  const tcp = new TcpLoad();
  const tcpPort = await tcp.listen();
  const filter = `udp port ${udp.port} or tcp port ${tcpPort}`;
  const tmux = o.modes.includes('ui') ? new TmuxServer() : null;
  const captures: Capture[] = [];
  const refFile = path.join(dir, 'tcpdump.pcap');
  // tcpdump in its default mode (TPACKET_V3) with -U: the complete reference, written as it goes.
  const tcpdump = spawn('tcpdump', ['-i', 'lo', '-n', '-U', '-B', '32768', '-w', refFile, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let tcpdumpErr = '';
  tcpdump.stderr!.setEncoding('utf8').on('data', (d: string) => (tcpdumpErr += d));
  const tcpdumpExit = new Promise<void>((r) => tcpdump.on('close', () => r()));
  const probe = dgram.createSocket('udp4');
  let sampler: NodeJS.Timeout | null = null;
  let heapSampler: NodeJS.Timeout | null = null;
  const reportDir = path.join(dir, 'reports');
  const nodeOptions = o.heapEvery > 0 ? `--report-on-signal --report-signal=SIGUSR2 --report-compact --report-directory=${reportDir}` : '';
  if (o.heapEvery > 0) fs.mkdirSync(reportDir, { recursive: true });
  try {
    for (const mode of o.modes) {
      for (const signal of o.signals) {
        const name = `${mode}/${signal.slice(3)}`;
        const file = path.join(dir, `${mode}-${signal.slice(3).toLowerCase()}.pcap`);
        captures.push(mode === 'headless'
          ? startHeadless(name, signal, file, filter, nodeOptions)
          : await startUi(tmux!, name, signal, file, filter, o.memoryBudgetMiB, path.join(dir, `${mode}-${signal.slice(3).toLowerCase()}.stderr`), nodeOptions));
      }
    }
    log(`started ${captures.length} tcpwatch runs and tcpdump on lo, filter "${filter}"; files in ${dir}`);

    // Every capture is running once each -w file holds a probe datagram beyond its header.
    const probeBuf = Buffer.alloc(8);
    probeBuf.writeUInt32BE(PROBE_TAG, 0);
    const readyBy = Date.now() + READY_TIMEOUT_MS;
    const files = [refFile, ...captures.map((c) => c.file)];
    for (let i = 0; ; i++) {
      probeBuf.writeUInt32BE(i, 4);
      probe.send(probeBuf, udp.port, '127.0.0.1');
      await sleep(100);
      if (files.every((f) => fileSize(f) > 24)) break;
      const dead = captures.find((c) => rssKiB(c.pid) === null);
      if (dead) throw new Error(`${dead.name} ended before capturing: ${dead.stderr().trim()}`);
      if (Date.now() > readyBy) throw new Error(`not every capture started within ${READY_TIMEOUT_MS / 1000} s: ${files.filter((f) => fileSize(f) <= 24).join(', ')}`);
    }
    log('every capture sees packets; load starts');

    const t0 = Date.now();
    const sample = () => {
      const t = (Date.now() - t0) / 1000;
      for (const c of captures) {
        const r = runRss(c);
        if (typeof r === 'number') c.samples.push({ t, rssKiB: r });
        else if (r !== undefined && r !== null) c.samples.push({ t, rssKiB: r[0] + r[1], parts: r });
      }
    };
    sample();
    sampler = setInterval(sample, o.every * 1000);
    if (o.heapEvery > 0) {
      heapSampler = setInterval(() => {
        const t = (Date.now() - t0) / 1000;
        for (const c of captures) {
          try {
            process.kill(c.pid, 'SIGUSR2');
          } catch {
            // ended
          }
        }
        setTimeout(() => collectReports(reportDir, captures, t), 1000);
      }, o.heapEvery * 1000);
    }
    let lastReport = 0;
    const progress = setInterval(() => {
      const t = (Date.now() - t0) / 1000;
      if (t - lastReport < 60) return;
      lastReport = t;
      log(`${Math.round(t)} s: RSS ${captures.map((c) => `${c.name} ${((c.samples[c.samples.length - 1]?.rssKiB ?? 0) / 1024).toFixed(1)}`).join(', ')} MiB`);
    }, 1000);
    await tcp.start(o.connections, o.messages, o.churn);
    const sent = await udp.go();
    await tcp.stop();
    const loadSeconds = (Date.now() - t0) / 1000;
    clearInterval(progress);
    // The last packets are in every ring by now; one more sample, then the signals.
    await sleep(1000);
    sample();
    clearInterval(sampler);
    sampler = null;
    if (heapSampler) clearInterval(heapSampler);
    for (const c of captures) c.cpu = (cpuSeconds(c.pid) ?? 0) + (c.capturePid !== null ? cpuSeconds(c.capturePid) ?? 0 : 0);
    log(`load done: ${sent.sent} datagrams in ${sent.seconds} s, ${tcp.requests} TCP requests, ${tcp.shortConnections} short connections; stopping`);

    const stops = captures.map(async (c) => {
      const at = Date.now();
      process.kill(c.pid, c.signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), STOP_TIMEOUT_MS)));
      const r = await Promise.race([c.exited(), timeout]);
      clearTimeout(timer);
      if (r === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        return { status: null, signal: 'did not stop; killed', seconds: null };
      }
      return { ...r, seconds: (Date.now() - at) / 1000 };
    });
    const ended = await Promise.all(stops);
    tcpdump.kill('SIGINT');
    await tcpdumpExit;
    log('every capture stopped; checking the files');

    const ref = scanFile(refFile, sent.sent, udp.port);
    const refTshark = await tsharkCheck(refFile);
    const dropped = /(\d+) packets? dropped by kernel/.exec(tcpdumpErr);
    const runs: RunResult[] = [];
    const checks = await Promise.all(captures.map((c) => tsharkCheck(c.file)));
    captures.forEach((c, i) => {
      const scan = scanFile(c.file, sent.sent, udp.port);
      const diff = multisetDifference(ref.hashes, scan.hashes);
      let udpSeen = 0;
      for (let k = 0; k < sent.sent; k++) udpSeen += scan.udpSeqs[k];
      const file: FileCheck = {
        frames: scan.frames,
        loadFrames: scan.hashes.length,
        missing: diff.onlyA,
        extra: diff.onlyB,
        udpSeen,
        tsharkFrames: checks[i].frames,
        tsharkProblem: checks[i].problem,
      };
      runs.push({
        name: c.name,
        mode: c.mode,
        signal: c.signal,
        exitStatus: ended[i].status,
        exitSignal: ended[i].signal,
        stopSeconds: ended[i].seconds,
        stderr: c.stderr(),
        samples: c.samples,
        heap: c.heap,
        cpuSeconds: c.cpu,
        file,
        memory: memoryVerdict(c.samples, c.mode, scan.hashes.length, loadSeconds, o.toleranceMiB),
        memoryParts: c.mode === 'ui' ? partVerdicts(c.samples, scan.hashes.length, loadSeconds, o.toleranceMiB) : undefined,
      });
    });
    let refUdp = 0;
    for (let k = 0; k < sent.sent; k++) refUdp += ref.udpSeqs[k];
    if (refUdp !== sent.sent) log(`note: tcpdump itself has ${refUdp} of the ${sent.sent} datagrams sent`);
    return {
      options: o,
      udpSent: sent.sent,
      udpSeconds: sent.seconds,
      tcpRequests: tcp.requests,
      tcpAnswers: tcp.answers,
      shortConnections: tcp.shortConnections,
      reference: { frames: ref.frames, loadFrames: ref.hashes.length, droppedByKernel: dropped ? Number(dropped[1]) : null, tsharkProblem: refTshark.problem },
      runs,
      loadSeconds,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    if (heapSampler) clearInterval(heapSampler);
    probe.close();
    udp.kill();
    for (const c of captures) {
      try {
        process.kill(c.pid, 0);
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // ended
      }
    }
    if (tcpdump.exitCode === null) tcpdump.kill('SIGKILL');
    tmux?.kill();
    // A run that failed before the load stopped leaves the TCP server listening: close it, or this
    // process would never end.
    await tcp.stop();
    if (o.keep === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads the diagnostic report each run wrote since the last call, then removes it. */
function collectReports(reportDir: string, captures: Capture[], t: number): void {
  let names: string[];
  try {
    names = fs.readdirSync(reportDir);
  } catch {
    return;
  }
  for (const c of captures) {
    for (const name of names.filter((n) => n.includes(`.${c.pid}.`))) {
      const file = path.join(reportDir, name);
      try {
        const heap = (JSON.parse(fs.readFileSync(file, 'utf8')) as {
          javascriptHeap: { usedMemory: number; externalMemory: number; totalCommittedMemory: number; heapSpaces: Record<string, { committedMemory: number }> };
        }).javascriptHeap;
        c.heap.push({
          t,
          usedMiB: heap.usedMemory / MiB,
          externalMiB: heap.externalMemory / MiB,
          committedMiB: heap.totalCommittedMemory / MiB,
          newSpaceMiB: (heap.heapSpaces.new_space?.committedMemory ?? 0) / MiB,
        });
      } catch {
        // still being written: next time
        continue;
      }
      fs.rmSync(file, { force: true });
    }
  }
}

/** What a run must show: clean exit, a complete file equal to tcpdump's, flat memory. */
export function runProblems(r: RunResult, s: SoakResult): string[] {
  const p: string[] = [];
  if (r.exitStatus !== 0) p.push(`exit ${r.exitStatus ?? r.exitSignal}`);
  if (r.file.tsharkProblem !== null) p.push(`tshark: ${r.file.tsharkProblem}`);
  if (r.file.tsharkFrames !== r.file.frames) p.push(`tshark counts ${r.file.tsharkFrames} frames, tcpwatch's reader ${r.file.frames}`);
  if (r.file.missing > 0 || r.file.extra > 0) p.push(`${r.file.missing} of tcpdump's packets missing, ${r.file.extra} not in tcpdump's file`);
  if (r.file.udpSeen !== s.udpSent) p.push(`${r.file.udpSeen} of ${s.udpSent} datagrams sent`);
  if (!r.memory.flat) p.push(`RSS not flat: ${r.memory.spreadMiB.toFixed(1)} MiB above the median (tolerance ${s.options.toleranceMiB})`);
  return p;
}

export function formatSoak(s: SoakResult): string {
  const o = s.options;
  const lines: string[] = [];
  lines.push(`soak: ${s.loadSeconds.toFixed(0)} s of load on lo: ${s.udpSent} UDP datagrams (${o.rate}/s, sent in ${s.udpSeconds} s), ` +
    `${s.tcpRequests} TCP requests on ${o.connections} connections (${s.tcpAnswers} answers), ${s.shortConnections} short connections; ` +
    `UI runs with --memory-budget ${o.memoryBudgetMiB}; RSS sampled every ${o.every} s`);
  lines.push(`tcpdump: ${s.reference.frames} frames (${s.reference.loadFrames} of the load), ${s.reference.droppedByKernel ?? '?'} dropped by kernel` +
    (s.reference.tsharkProblem ? `, tshark: ${s.reference.tsharkProblem}` : ''));
  const head = ['run', 'exit', 'stop s', 'frames', 'tshark', 'vs tcpdump', 'datagrams', 'RSS MiB first', 'median', 'max', 'last', 'spread', 'B/pkt', 'CPU s', 'verdict'];
  const rows = s.runs.map((r) => {
    const problems = runProblems(r, s);
    return [
      r.name,
      r.exitStatus !== null ? String(r.exitStatus) : (r.exitSignal ?? '?'),
      r.stopSeconds !== null ? r.stopSeconds.toFixed(2) : '-',
      String(r.file.frames),
      r.file.tsharkProblem === null ? String(r.file.tsharkFrames) : 'ERROR',
      r.file.missing === 0 && r.file.extra === 0 ? 'same' : `-${r.file.missing} +${r.file.extra}`,
      r.file.udpSeen === s.udpSent ? 'all' : `${r.file.udpSeen}/${s.udpSent}`,
      r.memory.firstMiB.toFixed(1),
      r.memory.medianMiB.toFixed(1),
      r.memory.maxMiB.toFixed(1),
      r.memory.lastMiB.toFixed(1),
      `+${r.memory.spreadMiB.toFixed(1)}`,
      r.memory.bytesPerPacket.toFixed(1),
      r.cpuSeconds.toFixed(1),
      problems.length === 0 ? 'ok' : 'FAIL',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push(fmt(head));
  for (const r of rows) lines.push(fmt(r));
  for (const r of s.runs) {
    for (const p of runProblems(r, s)) lines.push(`${r.name}: ${p}`);
    const summary = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^listening on|Node\.js report/.test(l));
    if (summary.length) lines.push(`${r.name} said: ${summary.join(' | ')}`);
  }
  for (const r of s.runs) {
    if (r.memoryParts === undefined) continue;
    const v = (m: MemoryVerdict) => `${m.firstMiB.toFixed(1)} / ${m.medianMiB.toFixed(1)} / ${m.maxMiB.toFixed(1)} / ${m.lastMiB.toFixed(1)} MiB, +${m.spreadMiB.toFixed(1)}, ${m.bytesPerPacket.toFixed(1)} B/pkt`;
    lines.push(`${r.name} RSS (first / median / max / last): UI process ${v(r.memoryParts.ui)}; capture process ${v(r.memoryParts.capture)}`);
  }
  for (const r of s.runs) {
    if (r.heap.length < 8) continue;
    const tail = r.heap.slice(Math.floor(r.heap.length * WARMUP_SHARE));
    const q = Math.floor(tail.length / 4);
    const floor = (xs: HeapSample[]) => Math.min(...xs.map((h) => h.usedMiB));
    const floors = [0, 1, 2, 3].map((k) => floor(tail.slice(k * q, k === 3 ? tail.length : (k + 1) * q)).toFixed(1));
    const ext = (h: HeapSample | undefined) => (h?.externalMiB ?? 0).toFixed(1);
    const committed = (h: HeapSample | undefined) => `${(h?.committedMiB ?? 0).toFixed(1)} (young ${(h?.newSpaceMiB ?? 0).toFixed(1)})`;
    lines.push(`${r.name} heap: lowest in use per quarter of the last 80% ${floors.join(' → ')} MiB; outside the heap (ArrayBuffers) ${ext(tail[0])} → ${ext(tail[tail.length - 1])} MiB; ` +
      `committed ${committed(tail[0])} → ${committed(tail[tail.length - 1])} MiB`);
  }
  lines.push(`flat: over the last ${Math.round((1 - WARMUP_SHARE) * 100)}% of samples, no sample more than ${o.toleranceMiB} MiB above their median (falls are not leaks) after ` +
    `subtracting the UI's ${UI_BYTES_PER_PACKET} bytes per packet kept by design (headless: 0); a UI run's RSS is its UI process plus its capture process; ` +
    'B/pkt is the raw RSS growth over that span per packet seen');
  return lines.join('\n');
}

function parseArgs(argv: string[]): SoakOptions {
  const o: SoakOptions = { ...DEFAULT_SOAK };
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`${name} needs a number of at least ${min}, not "${v ?? ''}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--seconds': o.seconds = num('--seconds', v, 1); i++; break;
      case '--rate': o.rate = num('--rate', v, 1); i++; break;
      case '--connections': o.connections = num('--connections', v, 0); i++; break;
      case '--messages': o.messages = num('--messages', v, 1); i++; break;
      case '--churn': o.churn = num('--churn', v, 0); i++; break;
      case '--every': o.every = num('--every', v, 0.1); i++; break;
      case '--memory-budget': o.memoryBudgetMiB = num('--memory-budget', v, 1); i++; break;
      case '--tolerance': o.toleranceMiB = num('--tolerance', v, 0); i++; break;
      case '--heap-every': o.heapEvery = num('--heap-every', v, 0); i++; break;
      case '--modes': o.modes = (v ?? '').split(',').filter((m): m is RunMode => m === 'headless' || m === 'ui'); i++; break;
      case '--keep': o.keep = path.resolve(v ?? '.'); i++; break;
      default: throw new Error(`unknown argument ${argv[i]} (see the top of scripts/soak.ts)`);
    }
  }
  if (o.modes.length === 0) throw new Error('--modes takes headless, ui or both');
  // bounded: the sender never runs longer than twice this, and nothing here loops without a clock
  if (o.seconds > 3600) throw new Error('--seconds: at most 3600');
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the soak captures on lo: run it as root');
  for (const tool of ['tcpdump', 'tshark', 'python3', ...(o.modes.includes('ui') ? ['tmux'] : [])]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`the soak needs ${tool}`);
  }
  o.log = (line) => process.stderr.write(`soak: ${line}\n`);
  const result = await runSoak(o);
  process.stdout.write(formatSoak(result) + '\n');
  if (o.keep !== undefined) {
    // every sample, for plotting or a closer look
    const runs = result.runs.map((r) => ({
      name: r.name,
      samples: r.samples.map((x) => [Number(x.t.toFixed(1)), x.rssKiB, ...(x.parts ?? [])]),
      heap: r.heap.map((h) => [Number(h.t.toFixed(1)), Number(h.usedMiB.toFixed(2)), Number(h.externalMiB.toFixed(2)), Number(h.committedMiB.toFixed(2)), Number(h.newSpaceMiB.toFixed(2))]),
    }));
    fs.writeFileSync(path.join(o.keep, 'samples.json'), JSON.stringify({ loadSeconds: result.loadSeconds, runs }) + '\n');
  }
  if (result.runs.some((r) => runProblems(r, result).length > 0)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`soak: ${(e as Error).message}\n`);
    process.exit(2);
  });
}
