// The lab scenario, recorded: the port-8989 chat exchange ("Hey", an answer, the server closes first)
// and a few HTTPS requests to the local TLS server, captured on loopback and saved as one pcapng with
// the TLS key log embedded (a Decryption Secrets Block), so the capture decrypts wherever it is opened.
// `tcpwatch demo` records it on the spot; scripts/record-sample.ts recorded samples/lab.pcapng with it.

import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DEFAULT_CHAT_PORT, runLabChatExchange, startChatServer, ChatServer, LabChatExchangeResult } from './chat';
import { fetchOverTls, startTlsServer, TlsServer, FetchOverTlsResult } from './tls-server';
import { CaptureFileReader } from '../capture/file-reader';
import { CapturedFrame } from '../capture/frame';
import { PcapngWriter } from '../capture/file-writer';
import { LiveCapture, resolveCaptureDevice } from '../capture/live';
import { UsageError } from '../errors';

export const DEFAULT_TLS_PORT = 8443;
const LOOPBACK = '127.0.0.1';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A capture of `lo` running in the background, written to a file until stop(). */
export interface LoopbackCapture {
  /** What captures, for the user: tcpwatch's live capture or tcpdump. */
  readonly tool: string;
  stop(): Promise<void>;
}

/**
 * Capture `lo` with tcpwatch's own live capture (cap) into a pcapng file; CaptureUnavailable (with
 * libpcap's or the permission check's reason) when it cannot.
 */
export function startLiveCapture(path: string, bpf: string): LoopbackCapture {
  let writer: PcapngWriter | null = null;
  try {
    const { cap, iface } = resolveCaptureDevice('lo');
    writer = new PcapngWriter(path);
    const w = writer;
    const live = LiveCapture.open({ device: iface.name, filter: bpf }, (frame) => w.write(frame), null, cap);
    return {
      tool: "tcpwatch's live capture",
      async stop(): Promise<void> {
        live.close();
        w.close();
      },
    };
  } catch (e) {
    writer?.close();
    if (e instanceof UsageError) throw new CaptureUnavailable(e.message);
    throw e;
  }
}

/**
 * Capture `lo` with tcpwatch's live capture, or with tcpdump where cap is not built. When neither
 * can, the reason given is the live capture's, which says how to get permission.
 */
export async function startLoopbackCapture(path: string, bpf: string): Promise<LoopbackCapture> {
  try {
    return startLiveCapture(path, bpf);
  } catch (e) {
    if (!(e instanceof CaptureUnavailable)) throw e;
    try {
      return await startTcpdumpCapture(path, bpf);
    } catch (e2) {
      if (e2 instanceof CaptureUnavailable) throw e;
      throw e2;
    }
  }
}

export class CaptureUnavailable extends Error {}

function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$0"', cmd], { stdio: 'ignore' }).status === 0;
}

/**
 * Capture `lo` with tcpdump into a pcap file. Resolves once tcpdump says it is listening, so no packet
 * of the scenario is missed; rejects with CaptureUnavailable (and the reason) when it cannot start.
 */
export async function startTcpdumpCapture(pcapPath: string, bpf: string, startTimeoutMs = 5000): Promise<LoopbackCapture> {
  if (!commandExists('tcpdump')) throw new CaptureUnavailable('tcpdump is not installed');
  // -U and --immediate-mode: every packet reaches the file at once, so stopping loses nothing.
  // -Z root: Debian's tcpdump otherwise drops to its own user, which may not write where we asked.
  const args = ['-i', 'lo', '-n', '-U', '--immediate-mode', '-s', '0', '-w', pcapPath];
  if (process.getuid?.() === 0) args.push('-Z', 'root');
  args.push(bpf);
  const child: ChildProcess = spawn('tcpdump', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on('close', () => {
      exited = true;
      resolve();
    });
    child.on('error', () => {
      exited = true;
      resolve();
    });
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + startTimeoutMs;
  while (!stderr.includes('listening on') && !exited && Date.now() < deadline) await sleep(10);
  if (!stderr.includes('listening on')) {
    if (!exited) child.kill('SIGKILL');
    await exit;
    // tcpdump's last line says why, e.g. "(socket: Operation not permitted)"
    const why = (stderr.trim().split('\n').pop() ?? '').replace(/^\((.*)\)$/, '$1');
    if (/permission|not permitted|socket: Operation/i.test(stderr)) {
      throw new CaptureUnavailable(`capturing on lo needs root or CAP_NET_RAW (${why})`);
    }
    throw new CaptureUnavailable(`tcpdump did not start${why ? ': ' + why : ''}`);
  }
  return {
    tool: 'tcpdump',
    async stop(): Promise<void> {
      if (exited) return;
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(t);
    },
  };
}

/**
 * Rewrite a capture as pcapng with the key log in a Decryption Secrets Block ahead of every packet,
 * so a reader has the secrets before the first record they unlock. Returns the number of frames.
 */
export function writePcapngWithSecrets(inputPath: string, outputPath: string, keylog: Buffer): number {
  const reader = new CaptureFileReader(inputPath);
  const writer = new PcapngWriter(outputPath);
  try {
    if (keylog.length > 0) writer.writeSecrets(keylog);
    const frame = new CapturedFrame();
    while (reader.next(frame)) writer.write(frame);
    return writer.framesWritten;
  } finally {
    writer.close();
    reader.close();
  }
}

export interface HttpsRequest {
  path: string;
  version: 'TLSv1.3' | 'TLSv1.2';
}

/** What the scenario fetches: two TLS 1.3 requests (the page and a missing one) and the page over TLS 1.2. */
export const LAB_HTTPS_REQUESTS: readonly HttpsRequest[] = [
  { path: '/', version: 'TLSv1.3' },
  { path: '/missing', version: 'TLSv1.3' },
  { path: '/', version: 'TLSv1.2' },
];

export interface LabServers {
  chat: ChatServer;
  tls: TlsServer;
  close(): Promise<void>;
}

/**
 * Start the chat server (lab mode: one answer, then the server closes first) and the HTTPS server on
 * loopback. With `fallbackToAnyPort`, a port in use is replaced by one the system picks.
 */
export async function startLabServers(opts: { chatPort?: number; tlsPort?: number; keylogPath: string; fallbackToAnyPort?: boolean }): Promise<LabServers> {
  const tryListen = async <T>(start: (port: number) => Promise<T>, port: number): Promise<T> => {
    try {
      return await start(port);
    } catch (e) {
      if (opts.fallbackToAnyPort && (e as NodeJS.ErrnoException).code === 'EADDRINUSE') return start(0);
      throw e;
    }
  };
  const chat = await tryListen((port) => startChatServer({ host: LOOPBACK, port, closeAfterReply: true }), opts.chatPort ?? DEFAULT_CHAT_PORT);
  let tls: TlsServer;
  try {
    tls = await tryListen((port) => startTlsServer({ host: LOOPBACK, port, keylogPath: opts.keylogPath }), opts.tlsPort ?? DEFAULT_TLS_PORT);
  } catch (e) {
    await chat.close();
    throw e;
  }
  return {
    chat,
    tls,
    async close() {
      await Promise.all([chat.close(), tls.close()]);
    },
  };
}

export interface ScenarioResult {
  chat: LabChatExchangeResult;
  https: { request: HttpsRequest; result: FetchOverTlsResult }[];
}

/** The traffic of the lab, against servers started by startLabServers. */
export async function runLabTraffic(servers: LabServers): Promise<ScenarioResult> {
  const chat = await runLabChatExchange({ host: LOOPBACK, port: servers.chat.port });
  const https: ScenarioResult['https'] = [];
  for (const request of LAB_HTTPS_REQUESTS) {
    const result = await fetchOverTls({
      host: LOOPBACK,
      port: servers.tls.port,
      path: request.path,
      minVersion: request.version,
      maxVersion: request.version,
      ca: servers.tls.certPem,
    });
    https.push({ request, result });
  }
  // The last connection's teardown (FIN, ACK) follows the response by a moment; let it reach the capture.
  await sleep(200);
  return { chat, https };
}

export interface RecordOptions {
  /** pcapng written with the key log embedded. */
  outputPath: string;
  /** Where the HTTPS server writes its key log (kept: the sample ships it beside the capture). */
  keylogPath: string;
  /** Scratch file for the raw capture before it is rewritten with the key log. */
  rawCapturePath: string;
  chatPort?: number;
  tlsPort?: number;
  fallbackToAnyPort?: boolean;
  /** Capture with tcpdump even where tcpwatch's own live capture works. */
  useTcpdump?: boolean;
  /** Progress lines for the user. */
  log?: (line: string) => void;
}

export interface RecordResult extends ScenarioResult {
  frames: number;
  chatPort: number;
  tlsPort: number;
  tool: string;
}

/** Servers, capture, traffic, and the pcapng with its key log: the whole lab, recorded. */
export async function recordLabScenario(opts: RecordOptions): Promise<RecordResult> {
  const log = opts.log ?? (() => {});
  const servers = await startLabServers({ chatPort: opts.chatPort, tlsPort: opts.tlsPort, keylogPath: opts.keylogPath, fallbackToAnyPort: opts.fallbackToAnyPort });
  let traffic: ScenarioResult;
  let tool: string;
  try {
    const chatPort = servers.chat.port, tlsPort = servers.tls.port;
    const capture = opts.useTcpdump
      ? await startTcpdumpCapture(opts.rawCapturePath, `tcp port ${chatPort} or tcp port ${tlsPort}`)
      : await startLoopbackCapture(opts.rawCapturePath, `tcp port ${chatPort} or tcp port ${tlsPort}`);
    tool = capture.tool;
    log(`chat server (lab mode) on ${LOOPBACK}:${chatPort}; HTTPS server on https://${LOOPBACK}:${tlsPort}/; capturing lo with ${capture.tool}`);
    try {
      traffic = await runLabTraffic(servers);
    } finally {
      await capture.stop();
    }
    log(`chat: sent "Hey", the server answered ${JSON.stringify(traffic.chat.reply)} and closed first: ${traffic.chat.serverClosedFirst}`);
    for (const { request, result } of traffic.https) log(`https: GET ${request.path} over ${result.protocol} (${result.cipher}) → ${result.status}`);
  } finally {
    await servers.close();
  }
  const frames = writePcapngWithSecrets(opts.rawCapturePath, opts.outputPath, readFileSync(opts.keylogPath));
  return { ...traffic, frames, chatPort: servers.chat.port, tlsPort: servers.tls.port, tool };
}
