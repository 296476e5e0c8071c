// Real TCP transfers across an impaired link (test/helpers/impaired-link.ts), captured with
// tcpdump at both ends: an HTTP download (python3 -m http.server and curl), and a bulk transfer
// to a reader that stops reading for a while, so the receiver's window closes (zero window,
// window full, zero window probes). Also a copy of a capture with a seeded ~3% of its frames
// removed, as a capture that missed packets would be.

import { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Impairment, ImpairedLink, makeImpairedLink, RelayLog } from './impaired-link';
import { startTcpdump, Tcpdump } from './tcpdump';

export interface LossyCapture {
  name: string;
  pcap: string;
}

export interface Recording {
  captures: LossyCapture[];
  relay: RelayLog | null;
}

const HTTP_PORT = 8000;
const TCPDUMP_BUFFER_KIB = 16384;
const BULK_PORT = 9000;

function waitForOutput(p: ChildProcess, pattern: RegExp, what: string, timeoutMs = 5000): Promise<void> {
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${text}`)), timeoutMs);
    const on = (b: Buffer): void => {
      text += b.toString();
      if (pattern.test(text)) { clearTimeout(timer); resolve(); }
    };
    p.stdout!.on('data', on);
    p.stderr!.on('data', on);
    p.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}): ${text}`)); });
  });
}

function exited(p: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) { resolve(p.exitCode); return; }
    const timer = setTimeout(() => { p.kill('SIGKILL'); }, timeoutMs);
    p.once('close', (code) => { clearTimeout(timer); resolve(code); });
  });
}

async function captureBoth(link: ImpairedLink, dir: string, name: string, filter: string): Promise<[Tcpdump, Tcpdump, LossyCapture[]]> {
  const client = join(dir, `${name}-client.pcap`), server = join(dir, `${name}-server.pcap`);
  // A large buffer: on a busy machine tcpdump may be off the CPU for a while, and a capture that
  // misses frames of its own would not be the capture the test means to make.
  const a = await startTcpdump(client, filter, ['-i', link.devA, '-B', String(TCPDUMP_BUFFER_KIB)], ['ip', 'netns', 'exec', link.nsA]);
  let b: Tcpdump;
  try {
    b = await startTcpdump(server, filter, ['-i', link.devB, '-B', String(TCPDUMP_BUFFER_KIB)], ['ip', 'netns', 'exec', link.nsB]);
  } catch (e) {
    a.proc.kill('SIGKILL');
    throw e;
  }
  return [a, b, [{ name: `${name} (client side)`, pcap: client }, { name: `${name} (server side)`, pcap: server }]];
}

/**
 * The transfer's client must end well (and its server, when it ends by itself), both captures stop
 * having dropped nothing; then the link closes and its relay's log is returned.
 */
async function finishTransfer(link: ImpairedLink, client: ChildProcess, server: ChildProcess | null, a: Tcpdump, b: Tcpdump, what: string): Promise<RelayLog | null> {
  const code = await exited(client, 25_000);
  if (code !== 0) throw new Error(`${what} failed (${code})`);
  if (server !== null) await exited(server, 3000);
  const dropped = (await a.stop(300)) + (await b.stop(50));
  if (dropped > 0) throw new Error(`tcpdump dropped ${dropped} frames: ${a.stderr} ${b.stderr}`);
  return link.close();
}

/** curl downloads `bytes` from python3's http.server across the link. */
export async function recordHttpDownload(imp: Impairment, dir: string, name: string, bytes: number): Promise<Recording> {
  const link = await makeImpairedLink(imp, join(dir, `${name}-relay.json`));
  const procs: ChildProcess[] = [];
  try {
    const body = Buffer.alloc(bytes);
    // Bytes from the seed, so the body is not all one value.
    let x = imp.seed * 2654435761 >>> 0;
    for (let i = 0; i < bytes; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; body[i] = x >>> 24; }
    writeFileSync(join(dir, `${name}.bin`), body);
    const server = link.start(link.nsB, ['python3', '-u', '-m', 'http.server', '--bind', link.ipB, '-d', dir, String(HTTP_PORT)]);
    procs.push(server);
    await waitForOutput(server, /Serving HTTP/, 'http.server');
    const [a, b, captures] = await captureBoth(link, dir, name, `tcp port ${HTTP_PORT}`);
    procs.push(a.proc, b.proc);
    const curl = link.start(link.nsA, ['curl', '-sS', '-o', '/dev/null', '--max-time', '20', `http://${link.ipB}:${HTTP_PORT}/${name}.bin`]);
    procs.push(curl);
    return { captures, relay: await finishTransfer(link, curl, null, a, b, 'curl') };
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await link.close();
  }
}

const IPERF_PORT = 5201;

/**
 * iperf3 as a real peer: its client sends `bytes` to an iperf3 server across the link (its control
 * connection and its data connection, both on the iperf3 port), captured at both ends.
 */
export async function recordIperf3(imp: Impairment, dir: string, name: string, bytes: number): Promise<Recording> {
  const link = await makeImpairedLink(imp, join(dir, `${name}-relay.json`));
  const procs: ChildProcess[] = [];
  try {
    // -1: one test, then exit; stdout unbuffered so the start line is seen at once.
    const server = link.start(link.nsB, ['iperf3', '-s', '-1', '-B', link.ipB, '-p', String(IPERF_PORT), '--forceflush']);
    procs.push(server);
    await waitForOutput(server, /Server listening/, 'iperf3 server');
    const [a, b, captures] = await captureBoth(link, dir, name, `tcp port ${IPERF_PORT}`);
    procs.push(a.proc, b.proc);
    const client = link.start(link.nsA, ['iperf3', '-c', link.ipB, '-p', String(IPERF_PORT), '-n', String(bytes), '--connect-timeout', '3000']);
    procs.push(client);
    return { captures, relay: await finishTransfer(link, client, server, a, b, 'iperf3 client') };
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await link.close();
  }
}

// The sender writes `bytes` as fast as it can; the receiver, with a small receive buffer, reads
// nothing for `stallMs`, then reads everything.
const BULK_SERVER = `
import socket, sys
n = int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], ${BULK_PORT})); s.listen(1); print('listening', flush=True)
c, _ = s.accept(); c.sendall(bytes(range(256)) * (n // 256)); c.shutdown(socket.SHUT_WR)
c.recv(1); c.close()
`;
const BULK_CLIENT = `
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
s.connect((sys.argv[1], ${BULK_PORT})); time.sleep(float(sys.argv[2]) / 1000)
while True:
    b = s.recv(65536)
    if not b: break
    time.sleep(0.002)
s.close()
`;

/** A bulk transfer to a receiver that stalls: the receiver's window fills and closes. */
export async function recordStalledReader(imp: Impairment, dir: string, name: string, bytes: number, stallMs: number): Promise<Recording> {
  const link = await makeImpairedLink(imp, join(dir, `${name}-relay.json`));
  const procs: ChildProcess[] = [];
  try {
    const server = link.start(link.nsB, ['python3', '-u', '-c', BULK_SERVER, link.ipB, String(bytes)]);
    procs.push(server);
    await waitForOutput(server, /listening/, 'bulk sender');
    const [a, b, captures] = await captureBoth(link, dir, name, `tcp port ${BULK_PORT}`);
    procs.push(a.proc, b.proc);
    const client = link.start(link.nsA, ['python3', '-c', BULK_CLIENT, link.ipB, String(stallMs)]);
    procs.push(client);
    return { captures, relay: await finishTransfer(link, client, server, a, b, 'bulk reader') };
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await link.close();
  }
}

/**
 * A copy of a pcap (classic format) without a seeded `fraction` of its frames, as a capture that
 * missed them would be; returns how many were removed.
 */
export function dropFrames(src: string, dst: string, fraction: number, seed: number): number {
  const b = readFileSync(src);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const parts: Buffer[] = [b.subarray(0, 24)];
  let x = seed >>> 0 || 1, removed = 0;
  for (let o = 24; o + 16 <= b.length;) {
    const len = u32(o + 8);
    const end = o + 16 + len;
    if (end > b.length) break;
    // xorshift32: the same seed removes the same frames.
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    if (x / 4294967296 < fraction) removed++;
    else parts.push(b.subarray(o, end));
    o = end;
  }
  writeFileSync(dst, Buffer.concat(parts));
  return removed;
}
