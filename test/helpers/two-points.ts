// A TCP download seen at two capture points: two network namespaces made by the test as two
// "hosts", each with its own sshd, joined by the seeded impairing relay of the lossy-TCP tests
// (test/helpers/impaired-link.ts) that delays every frame by a fixed time and drops some. tcpwatch
// captures on both hosts' interfaces at once through ssh (-i ssh://A/devA -i ssh://B/devB: kernel
// timestamps on both) into one pcapng with -z pairs, while curl in A downloads a file from
// python3's http.server in B.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI } from './corpus';
import { have, isRoot } from './system';
import { makeImpairedLink, ImpairedLink, RelayLog } from './impaired-link';
import { startSshd, SSHD, TestSshd } from './sshd';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Why a two-point test cannot run here, or false. */
export const TWO_POINTS_SKIP = isRoot && fs.existsSync(SSHD) && ['ssh', 'tcpdump', 'tshark', 'python3', 'ip', 'curl'].every(have) ? false : 'needs root, sshd, ssh, tcpdump, tshark, python3, ip and curl';
export const TWO_POINTS_HTTP_PORT = 8000;

export interface TwoPointCapture {
  /** The pcapng both points wrote, interface 0 at A (the client), 1 at B (the server). */
  merged: string;
  /** The relay's log: what it dropped, in which direction. */
  log: RelayLog;
  ipA: string;
  pointA: string;
  pointB: string;
  /** What the live run printed on stdout (its -z pairs) and stderr. */
  liveOut: string;
  err: string;
}

/**
 * Record a download of `bytes` through the relay (seed, loss, delayMs) into DIR/both.pcapng. Every
 * namespace, sshd and process is gone when it returns (or throws).
 */
export async function recordTwoPointDownload(dir: string, opts: { seed: number; loss: number; delayMs: number; bytes: number }): Promise<TwoPointCapture> {
  let link: ImpairedLink | null = null;
  const sshds: TestSshd[] = [];
  try {
    link = await makeImpairedLink({ seed: opts.seed, loss: opts.loss, reorder: 0, dup: 0, delayMs: opts.delayMs }, path.join(dir, 'relay.json'));
    const a = await startSshd([], [], link.nsA);
    sshds.push(a);
    const b = await startSshd([], [], link.nsB);
    sshds.push(b);
    // One ssh_config for both "hosts": each name is reached from inside its namespace, on its 127.0.0.1.
    const config = path.join(dir, 'ssh_config');
    const known = path.join(dir, 'known_hosts');
    fs.writeFileSync(known, `[${link.nsA}]:${a.port} ${a.hostKey}\n[${link.nsB}]:${b.port} ${b.hostKey}\n`);
    fs.writeFileSync(config, [
      'Host *',
      `  IdentityFile ${a.dir}/client_key`,
      `  IdentityFile ${b.dir}/client_key`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${known}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  User root',
      '  LogLevel ERROR',
      // The bridge's reading half is killed once ssh is gone, so the server sees the connection close.
      `  ProxyCommand ip netns exec %h bash -c 'exec 3<>/dev/tcp/127.0.0.1/%p; cat <&3 & cat >&3; kill $!'`,
      '',
    ].join('\n'));
    const ipA = link.ipA;
    const pointA = `ssh://${link.nsA}:${a.port}/${link.devA}`;
    const pointB = `ssh://${link.nsB}:${b.port}/${link.devB}`;
    fs.writeFileSync(path.join(dir, 'file.bin'), Buffer.alloc(opts.bytes, 7));
    const server = link.start(link.nsB, ['python3', '-m', 'http.server', '--bind', link.ipB, '-d', dir, String(TWO_POINTS_HTTP_PORT)]);
    const merged = path.join(dir, 'both.pcapng');
    const cap = spawn(process.execPath, [CLI, '-i', pointA, '-i', pointB, '--ssh-command', `ssh -F ${config}`, '-q', '-w', merged, '-z', 'pairs', 'tcp'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let liveOut = '';
    cap.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    cap.stdout!.on('data', (c: Buffer) => (liveOut += c.toString()));
    const capExit = new Promise<number | null>((r) => cap.on('close', (code) => r(code)));
    for (let i = 0; i < 2000 && !/^listening on /m.test(err); i++) {
      if (cap.exitCode !== null) break;
      await sleep(10);
    }
    assert.match(err, /^listening on /m);
    // The server listens by now (it started before the capture's two ssh sessions).
    const curl = spawnSync('ip', ['netns', 'exec', link.nsA, 'curl', '-sS', '-o', '/dev/null', '--max-time', '30', `http://${link.ipB}:${TWO_POINTS_HTTP_PORT}/file.bin`], { encoding: 'utf8', timeout: 40_000 });
    assert.equal(curl.status, 0, curl.stderr);
    await sleep(500);
    cap.kill('SIGINT');
    assert.equal(await capExit, 0, err);
    server.kill('SIGTERM');
    const log = await link.close();
    link = null;
    assert.ok(log !== null, 'the relay wrote its log');
    return { merged, log, ipA, pointA, pointB, liveOut, err };
  } finally {
    if (link !== null) await link.close();
    for (const s of sshds) await s.stop();
  }
}
