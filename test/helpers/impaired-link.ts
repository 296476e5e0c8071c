// A lossy, reordering, duplicating, delaying link between two network namespaces, made by the test
// that needs it (no netem required): namespaces `tw-<pid>-<n>-a` and `-b`, each with one TAP
// device, 10.77.<n>.1 and 10.77.<n>.2, joined by test/helpers/impair-relay.py, which relays
// Ethernet frames between the TAPs and drops, holds back and duplicates them from a seeded PRNG.
// Traffic stays inside the namespaces. close() removes everything, and so does the process's exit
// if the test fails before it gets there.

import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './corpus';

export interface Impairment {
  seed: number;
  /** Probabilities per IPv4 frame. */
  loss: number;
  reorder: number;
  dup: number;
  delayMs: number;
}

export interface RelayLog {
  seed: number;
  stats: { frames: number; ipv4: number; dropped: number; reordered: number; duplicated: number; written: number; write_errors: number };
  /** [IPv4 frame number, 'a>b' | 'b>a', what happened]; a dropped TCP segment adds its IPv4 id, raw sequence number and payload length. */
  events: [number, string, string, number?, number?, number?][];
}

export interface ImpairedLink {
  nsA: string;
  nsB: string;
  devA: string;
  devB: string;
  ipA: string;
  ipB: string;
  /** Run a command in a namespace, waiting for it; throws with its stderr when it fails. */
  run(ns: string, cmd: string[], timeoutMs?: number): string;
  /** Start a command in a namespace. */
  start(ns: string, cmd: string[]): ChildProcess;
  /** Stop the relay and remove the namespaces; resolves with the relay's log. */
  close(): Promise<RelayLog | null>;
}

let made = 0;
const open = new Set<ImpairedLink>();

function sh(args: string[], timeoutMs = 10_000): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

function removeNamespaces(names: string[]): void {
  for (const ns of names) spawnSync('ip', ['netns', 'del', ns]);
}

process.once('exit', () => {
  for (const l of open) {
    removeNamespaces([l.nsA, l.nsB]);
  }
});

/** Make the link; `logPath` receives the relay's account of what it did to each frame. */
export async function makeImpairedLink(imp: Impairment, logPath: string): Promise<ImpairedLink> {
  const n = made++;
  const tag = `tw-${process.pid}-${n}`;
  const nsA = `${tag}-a`, nsB = `${tag}-b`;
  // Interface names are at most 15 bytes.
  const devA = `twa${process.pid % 100000}${n}`.slice(0, 15), devB = `twb${process.pid % 100000}${n}`.slice(0, 15);
  const ipA = `10.77.${n % 250}.1`, ipB = `10.77.${n % 250}.2`;
  const relay = spawn('python3', [join(REPO_ROOT, 'test', 'helpers', 'impair-relay.py'), devA, devB, String(imp.seed),
    String(imp.loss), String(imp.reorder), String(imp.dup), String(imp.delayMs), logPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  let relayErr = '';
  relay.stderr!.on('data', (b: Buffer) => (relayErr += b.toString()));
  const relayDone = new Promise<void>((resolve) => relay.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { relay.kill('SIGKILL'); reject(new Error(`relay did not start: ${relayErr}`)); }, 5000);
    relay.stdout!.once('data', () => { clearTimeout(timer); resolve(); });
    relay.once('exit', (code) => { clearTimeout(timer); reject(new Error(`relay exited (${code}): ${relayErr}`)); });
  });
  const link: ImpairedLink = {
    nsA, nsB, devA, devB, ipA, ipB,
    run(ns, cmd, timeoutMs = 10_000) { return sh(['ip', 'netns', 'exec', ns, ...cmd], timeoutMs); },
    start(ns, cmd) { return spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] }); },
    async close() {
      open.delete(link);
      if (relay.exitCode === null && relay.signalCode === null) relay.kill('SIGTERM');
      const timer = setTimeout(() => relay.kill('SIGKILL'), 3000);
      await relayDone;
      clearTimeout(timer);
      removeNamespaces([nsA, nsB]);
      return existsSync(logPath) ? JSON.parse(readFileSync(logPath, 'utf8')) as RelayLog : null;
    },
  };
  open.add(link);
  try {
    sh(['ip', 'netns', 'add', nsA]);
    sh(['ip', 'netns', 'add', nsB]);
    for (const [ns, dev, ip] of [[nsA, devA, ipA], [nsB, devB, ipB]]) {
      sh(['ip', 'link', 'set', dev, 'netns', ns]);
      link.run(ns, ['ip', 'link', 'set', 'lo', 'up']);
      link.run(ns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', dev]);
      link.run(ns, ['ip', 'link', 'set', dev, 'up']);
    }
    // Wait for the link to carry traffic (ARP through the relay, both devices up).
    for (let i = 0; ; i++) {
      const r = spawnSync('ip', ['netns', 'exec', nsA, 'ping', '-c', '1', '-W', '1', ipB], { timeout: 3000 });
      if (r.status === 0) break;
      if (i >= 10) throw new Error(`no traffic across the impaired link: ${relayErr}`);
    }
  } catch (e) {
    await link.close();
    throw e;
  }
  return link;
}
