// A remote host without tcpdump but with tcpwatch: the far side captures with tcpwatch itself
// (src/capture/remote.ts), its -w - stream read as tcpdump's is, its kernel counts asked every
// second with SIGUSR2 and read from its summary lines. A real sshd on 127.0.0.1 whose PATH holds only
// the few tools the remote script uses and a `tcpwatch` (this checkout's, through a wrapper that
// records its stderr); a local tcpdump on the same interface is the reference for what the remote
// file must hold. Timestamps are not compared: tcpwatch stamps a frame when it reads it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI } from './helpers/corpus';
import { have, isRoot } from './helpers/system';
import { startSshd, SSHD } from './helpers/sshd';
import { startTcpdump } from './helpers/tcpdump';

const skip = isRoot && fs.existsSync(SSHD) && ['ssh', 'tcpdump', 'tshark', 'python3'].every(have) && spawnSync(process.execPath, [CLI, '-D']).status === 0
  ? false : 'needs root, sshd, ssh, tcpdump, tshark, python3 and the cap module';
const SENT = 300;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** IP identification and UDP payload of every datagram in a capture, as tshark reads it. */
function datagrams(file: string, port: number): string[] {
  const r = spawnSync('tshark', ['-r', file, '-Y', `udp.dstport == ${port}`, '-T', 'fields', '-e', 'ip.id', '-e', 'data.data'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter((l) => l !== '');
}

test('a remote host with tcpwatch and no tcpdump captures with tcpwatch: the datagrams a local tcpdump saw, its kernel counts every second', { skip, timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-remote-own-'));
  fs.chmodSync(dir, 0o777);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const remoteErr = path.join(dir, 'remote-stderr');
  // exec keeps the PID the remote script signals: node's own, which handles SIGUSR2.
  fs.writeFileSync(path.join(bin, 'tcpwatch'), `#!/bin/bash\nexec ${process.execPath} ${CLI} "$@" 2> >(tee -a ${remoteErr} >&2)\n`, { mode: 0o755 });
  // No tcpdump on this PATH (the script adds the sbin directories: Debian's tcpdump is in /usr/bin).
  for (const tool of ['sed', 'cat', 'sleep', 'tee', 'bash', 'getent']) fs.symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, tool));
  const sshd = await startSshd([`SetEnv PATH=${bin}`]);
  const port = 30000 + (process.pid % 20000);
  const out = path.join(dir, 'remote.pcap');
  const ref = path.join(dir, 'tcpdump.pcap');
  try {
    const tcpdump = await startTcpdump(ref, `udp port ${port}`);
    const cap = spawn(process.execPath, [CLI, '-i', `ssh://127.0.0.1:${sshd.port}/lo`, '--ssh-command', sshd.sshCommand, '-q', '-w', out, 'udp', 'port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    cap.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exit = new Promise<number | null>((r) => cap.on('close', (code) => r(code)));
    for (let i = 0; i < 3000 && !/^listening on /m.test(err) && cap.exitCode === null; i++) await sleep(10);
    assert.match(err, /^listening on /m);
    const send = spawnSync('python3', ['-c', `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(${SENT}):\n  s.sendto(b'own %d' % i,('127.0.0.1',${port}))\n  time.sleep(0.01)\n`], { timeout: 30_000 });
    assert.equal(send.status, 0);
    await sleep(1500);
    cap.kill('SIGINT');
    assert.equal(await exit, 0, err);
    await tcpdump.stop();

    // The far side was tcpwatch: its listening line, its counts asked while it ran (more than one summary line).
    const remote = fs.readFileSync(remoteErr, 'utf8');
    assert.match(remote, /^listening on lo, link-type EN10MB/m);
    const summaries = remote.split('\n').filter((l) => /^\d+ packets? captured, /.test(l));
    assert.ok(summaries.length >= 3, `the remote tcpwatch was asked for its counts every second:\n${remote}`);
    // The closing line here has the remote kernel's drops, from its last summary.
    assert.match(err, new RegExp(`^${SENT} packets captured, ${SENT} written to \\S+; 0 dropped by the kernel$`, 'm'));
    const theirs = datagrams(ref, port), ours = datagrams(out, port);
    assert.equal(theirs.length, SENT, 'the local tcpdump saw every datagram');
    assert.deepEqual(ours, theirs, 'the remote file: the same datagrams, in order');
  } finally {
    await sshd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
