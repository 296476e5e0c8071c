// Remote interfaces (-i ssh://host/IFACE) against a real OpenSSH server on 127.0.0.1
// (test/helpers/sshd.ts): the remote capture of a UDP stream at 20k packets/s against a local
// tcpdump on the same interface, the display filter and -c on a remote capture, -D --remote, and
// every failure the issue names, each provoked for real: authentication refused, host key changed,
// no capture program, permission denied, interface missing, the connection dropped mid-capture.
// The pcap stream reader is also fed damaged and cut streams.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './helpers/corpus';
import { have, isRoot } from './helpers/system';
import { startTcpdump } from './helpers/tcpdump';
import { freePort } from './helpers/loopback';
import { startSshd, descendants, SSHD, TestSshd } from './helpers/sshd';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { PcapStreamParser, RemoteStreamError, parseRemoteTarget, splitCommand, remoteCaptureScript, shellQuote, explainRemoteFailure } from '../src/capture/remote';
import { UsageError } from '../src/errors';
import { Tmux, haveTmux } from './helpers/tmux';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const canRemote = isRoot && fs.existsSync(SSHD) && have('ssh') && have('ssh-keygen') && have('tcpdump') && have('tshark');
const skip = canRemote ? false : 'needs root, sshd, ssh, tcpdump and tshark';

class Proc {
  out = '';
  err = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => { if (this.out.length < 1 << 22) this.out += c.toString(); });
    child.stderr?.on('data', (c: Buffer) => (this.err += c.toString()));
    this.exited = new Promise((r) => child.on('close', (code, signal) => r({ code, signal })));
  }
  async waitForErr(re: RegExp, what: string, ms = 20_000): Promise<void> {
    const t0 = Date.now();
    while (!re.test(this.err)) {
      if (Date.now() - t0 > ms || this.child.exitCode !== null) assert.fail(`${what} did not print ${re}: ${this.err}`);
      await sleep(10);
    }
  }
}

function tcpwatch(args: string[]): Proc {
  return new Proc(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** The user's view of a failure: one line on stderr and the exit status. */
async function failureLine(p: Proc, status: number): Promise<string> {
  const { code } = await p.exited;
  const lines = p.err.trimEnd().split('\n');
  assert.equal(code, status, `exit status for: ${p.err}`);
  assert.equal(lines.length, 1, `one line expected, got: ${p.err}`);
  assert.match(lines[0], /^tcpwatch: /);
  return lines[0];
}

/** Datagrams to 127.0.0.1:port at `rate` per second for `seconds`, each "TWRC" + a 32-bit sequence number + padding. */
async function blast(port: number, rate: number, seconds: number): Promise<number> {
  const sock = dgram.createSocket('udp4');
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      while (sent < due) {
        const b = Buffer.alloc(64);
        b.write('TWRC', 0);
        b.writeUInt32BE(sent, 4);
        sock.send(b, port, '127.0.0.1');
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  await sleep(50);
  sock.close();
  return total;
}

interface Rec { bytes: Buffer; sec: number; usec: number }

function records(file: string): Rec[] {
  const r = new CaptureFileReader(file);
  const f = new CapturedFrame();
  const out: Rec[] = [];
  try {
    while (r.next(f)) out.push({ bytes: Buffer.from(f.buf.subarray(f.off, f.off + f.capLen)), sec: f.tsSec, usec: Math.floor(f.tsNsec / 1000) });
  } finally {
    r.close();
  }
  return out;
}

/** Sequence numbers of the test's datagrams in captured frames (Ethernet + IPv4 + UDP on lo: payload at 42). */
function seqOf(bytes: Buffer): number {
  return bytes.length >= 50 && bytes.toString('latin1', 42, 46) === 'TWRC' ? bytes.readUInt32BE(46) : -1;
}

// ---------------------------------------------------------------------------------------------
// The pieces, without a server

test('ssh:// interface names: user, host, port, IPv6, and the mistakes', () => {
  assert.deepEqual(parseRemoteTarget('ssh://alice@db1.example:2222/eth0', true), { url: 'ssh://alice@db1.example:2222/eth0', user: 'alice', host: 'db1.example', port: 2222, iface: 'eth0' });
  assert.deepEqual(parseRemoteTarget('ssh://[2001:db8::1]:22/any', true), { url: 'ssh://[2001:db8::1]:22/any', user: undefined, host: '2001:db8::1', port: 22, iface: 'any' });
  assert.equal(parseRemoteTarget('ssh://web', false).iface, '');
  for (const bad of ['ssh://web', 'ssh:///eth0', 'ssh://-oProxyCommand=x/eth0', 'ssh://h:99999/eth0', 'ssh://h/eth0;reboot', 'ssh://-l@h/eth0', 'ssh://h:x/eth0']) {
    assert.throws(() => parseRemoteTarget(bad, true), UsageError, bad);
  }
  assert.deepEqual(splitCommand(`ssh -F "/tmp/my dir/cfg" -o 'ProxyJump=bastion' -i\\ key`), ['ssh', '-F', '/tmp/my dir/cfg', '-o', 'ProxyJump=bastion', '-i key']);
  assert.throws(() => splitCommand('ssh "-F'), UsageError);
  // What the remote shell reads back is the filter, byte for byte.
  const filter = `port 53 and host 'x' and "y"`;
  const script = remoteCaptureScript({ target: parseRemoteTarget('ssh://h/eth0', true), filter, sudo: false });
  const echoed = spawnSync('/bin/sh', ['-c', `printf %s ${shellQuote(filter)}`], { encoding: 'utf8' });
  assert.equal(echoed.stdout, filter);
  assert.ok(script.includes(`f=${shellQuote(filter)}`));
  const t = parseRemoteTarget('ssh://h/eth0', true);
  assert.equal(explainRemoteFailure(t, '', 0, null, 10, true), null);
});

test('the pcap stream reader: any cut of the stream gives the same whole records; damaged lengths are errors, never a crash', () => {
  // Three records in tcpdump's microsecond pcap, little-endian.
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0); head.writeUInt16LE(2, 4); head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16); head.writeUInt32LE(1, 20);
  const rec = (n: number, len: number): Buffer => {
    const r = Buffer.alloc(16 + len, n);
    r.writeUInt32LE(1700000000 + n, 0); r.writeUInt32LE(n * 1000, 4); r.writeUInt32LE(len, 8); r.writeUInt32LE(len + 4, 12);
    return r;
  };
  const stream = Buffer.concat([head, rec(1, 60), rec(2, 1514), rec(3, 0), rec(4, 9)]);
  for (const step of [1, 7, 16, 100, stream.length]) {
    const p = new PcapStreamParser();
    const got: string[] = [];
    for (let i = 0; i < stream.length; i += step) {
      p.push(stream.subarray(i, i + step), (f) => got.push(`${f.tsSec - 1700000000}.${f.tsNsec} ${f.capLen}/${f.origLen} ${f.capLen ? f.buf[f.off] : '-'}`));
    }
    assert.deepEqual(got, ['1.1000000 60/64 1', '2.2000000 1514/1518 2', '3.3000000 0/4 -', '4.4000000 9/13 4'], `chunks of ${step}`);
    assert.equal(p.linkType, 1);
  }
  // A stream cut inside a record hands on only the records before it.
  const cut = new PcapStreamParser();
  let n = 0;
  cut.push(stream.subarray(0, 24 + 76 + 100), () => n++);
  assert.equal(n, 1);
  assert.equal(cut.pendingBytes, 100);
  const huge = Buffer.concat([head, rec(1, 8)]);
  huge.writeUInt32LE(0x7fffffff, 24 + 8);
  assert.throws(() => new PcapStreamParser().push(huge, () => {}), RemoteStreamError);
  const badFrac = Buffer.concat([head, rec(1, 8)]);
  badFrac.writeUInt32LE(2_000_000, 24 + 4);
  assert.throws(() => new PcapStreamParser().push(badFrac, () => {}), RemoteStreamError);
  assert.throws(() => new PcapStreamParser().push(Buffer.from('SSH-2.0-OpenSSH_9.2 is not pcap at all'), () => {}), /did not send a pcap stream/);
  // Random bytes after a good header: errors or records, never an exception of another kind.
  let seed = 7;
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.alloc(256);
    for (let j = 0; j < junk.length; j++) junk[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    try {
      new PcapStreamParser().push(Buffer.concat([head, junk]), () => {});
    } catch (e) {
      assert.ok(e instanceof RemoteStreamError, String(e));
    }
  }
});

test('a hostile remote side: a record longer than any snapshot ends the capture in one line, the -w file whole', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-remote-hostile-'));
  fs.chmodSync(dir, 0o777);
  const fake = path.join(__dirname, '..', '..', 'test', 'helpers', 'fake-remote.js');
  try {
    for (const [mode, line] of [
      ['huge', /^tcpwatch: ssh:\/\/h\/eth0: the remote pcap stream is damaged: a record of 2147483647 bytes \(at most 262144\); \S+ holds the 3 packets received, each whole$/m],
      ['cut', /^tcpwatch: the connection to h dropped mid-capture after 3 packets \(.*\); the last 30 bytes were part of a packet and were left out; \S+ holds the 3 packets received, each whole$/m],
    ] as const) {
      const out = path.join(dir, `${mode}.pcap`);
      const p = tcpwatch(['-i', 'ssh://h/eth0', '--ssh-command', `${process.execPath} ${fake} ${mode}`, '-q', '-w', out]);
      const { code } = await p.exited;
      assert.equal(code, 1, p.err);
      assert.match(p.err, line);
      const r = spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      if (r.status !== null && have('tshark')) {
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim().split('\n').length, 3);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Against a real sshd

test('remote capture through a real sshd', { skip }, async (t) => {
  const sshd = await startSshd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-remote-'));
  // Live capture writes -w as the account it gives root up for (src/capture/privileges.ts).
  fs.chmodSync(dir, 0o777);
  const host = `ssh://127.0.0.1:${sshd.port}`;
  const ssh = ['--ssh-command', sshd.sshCommand];
  const extra: TestSshd[] = [];
  try {
    await t.test('-D --remote lists the host\'s interfaces as -i arguments', async () => {
      const p = tcpwatch(['-D', '--remote', host, ...ssh]);
      const { code } = await p.exited;
      assert.equal(code, 0, p.err);
      assert.match(p.out, new RegExp(`^\\d+\\. ${host.replace(/[.]/g, '\\.')}/lo \\[.*Loopback`, 'm'));
    });

    await t.test('20k packets/s: the remote -w file holds what a local tcpdump saw on the same interface', async () => {
      const port = await freePort();
      const filter = `udp port ${port}`;
      const theirs = path.join(dir, 'tcpdump.pcap');
      const ours = path.join(dir, 'remote.pcap');
      const dump = await startTcpdump(theirs, filter, ['-B', '65536']);
      const live = tcpwatch(['-i', `${host}/lo`, ...ssh, '-q', '-w', ours, filter]);
      await live.waitForErr(/^listening on ssh:/m, 'tcpwatch');
      const sent = await blast(port, 20_000, 2);
      await sleep(300);
      live.child.kill('SIGINT');
      const dropped = await dump.stop(0);
      const { code } = await live.exited;
      assert.equal(code, 0, live.err);
      assert.equal(dropped, 0, 'tcpdump itself dropped packets');
      const ref = records(theirs);
      const got = records(ours);
      const bySeq = new Map<number, Rec>();
      for (const r of got) bySeq.set(seqOf(r.bytes), r);
      let same = 0;
      let sameTime = 0;
      for (const r of ref) {
        const o = bySeq.get(seqOf(r.bytes));
        if (o === undefined) continue;
        assert.ok(o.bytes.equals(r.bytes), `bytes of datagram ${seqOf(r.bytes)}`);
        same++;
        if (o.sec === r.sec && o.usec === r.usec) sameTime++;
      }
      const pct = (100 * same) / ref.length;
      const missing = ref.map((r) => seqOf(r.bytes)).filter((q) => !bySeq.has(q));
      if (missing.length > 0) t.diagnostic(`missing from the remote capture: ${missing.length}, first ${missing.slice(0, 5).join(' ')}, last ${missing.slice(-5).join(' ')}`);
      t.diagnostic(`sent ${sent}; local tcpdump ${ref.length}, remote ${got.length}; ${same} in both (${pct.toFixed(2)}% of tcpdump's), ${sameTime} with the same kernel timestamp`);
      assert.ok(ref.length >= sent * 0.99, `tcpdump saw ${ref.length} of ${sent}`);
      assert.ok(pct >= 99.5, `remote capture holds ${pct.toFixed(2)}% of tcpdump's packets`);
      assert.equal(got.length, same, 'the remote file holds nothing tcpdump did not see');
      // The summary: what arrived, what the file holds, what the remote kernel dropped.
      assert.match(live.err, new RegExp(`^${got.length} packets captured, ${got.length} written to .*; \\d+ dropped by the kernel`, 'm'));
      const check = spawnSync('tshark', ['-r', ours, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
      assert.equal(check.stdout.trim().split('\n').length, got.length);
    });

    await t.test('a remote capture headless: display filter, -c and fields, as a local one', async () => {
      const port = await freePort();
      const live = tcpwatch(['-i', `${host}/lo`, ...ssh, '-c', '50', '-Y', `udp.dstport == ${port} && frame.len == 106`, '-T', 'fields', '-e', 'udp.dstport', '-e', 'udp.length', `udp port ${port}`]);
      await live.waitForErr(/^listening on ssh:/m, 'tcpwatch');
      await blast(port, 2000, 0.1);
      const { code } = await live.exited;
      assert.equal(code, 0, live.err);
      assert.deepEqual(live.out.trim().split('\n'), new Array(50).fill(`${port}\t72`));
      assert.match(live.err, /^50 packets captured; \d+ dropped by the kernel$/m);
      // Without a filter: the session's own ssh packets (on this same lo) are left out.
      const all = tcpwatch(['-i', `${host}/lo`, ...ssh, '-c', '30', '-T', 'fields', '-e', 'tcp.port', '-e', 'udp.dstport']);
      await all.waitForErr(/^listening on ssh:/m, 'tcpwatch');
      await blast(port, 2000, 0.1);
      assert.equal((await all.exited).code, 0, all.err);
      const rows = all.out.trim().split('\n');
      assert.equal(rows.length, 30);
      for (const row of rows) assert.doesNotMatch(row, new RegExp(`(^|,)${sshd.port}(,|\t)`), `the session's own packet: ${row}`);
    });

    await t.test('a remote interface in the UI (tmux): live packets, then the same -w file as a local tcpdump\'s', { skip: haveTmux() ? false : 'needs tmux' }, async () => {
      const port = await freePort();
      const filter = `udp port ${port}`;
      const theirs = path.join(dir, 'ui-tcpdump.pcap');
      const ours = path.join(dir, 'ui-remote.pcap');
      const dump = await startTcpdump(theirs, filter, ['-B', '65536']);
      const ui = Tmux.start(['-i', `${host}/lo`, ...ssh, '-w', ours, 'udp', 'port', String(port)]);
      try {
        await ui.waitForText(`live: ${host}/lo`, 20_000);
        const sent = await blast(port, 2000, 1);
        const screen = await ui.waitForText(`shown ${sent} / ${sent}`, 20_000);
        // The remote tcpdump's counts, asked every second, reach the status bar while it runs.
        await ui.waitFor((x) => /drops 0\b/.test(x.trimEnd().split('\n').pop() ?? ''), 'drops 0 in the status bar', 5000);
        assert.match(screen, new RegExp(`127\\.0\\.0\\.1 +127\\.0\\.0\\.1 +UDP .*→ ${port}`));
        ui.keys('q');
        const after = await ui.waitForText('[tcpwatch exited', 20_000);
        assert.match(after, new RegExp(`^${sent} packets captured, ${sent} written to \\S+; 0 dropped by the kernel\\n\\[tcpwatch exited 0\\]`, 'm'));
        assert.equal(await dump.stop(0), 0);
        const ref = records(theirs).map((r) => `${seqOf(r.bytes)} ${r.sec}.${r.usec}`);
        const got = records(ours).map((r) => `${seqOf(r.bytes)} ${r.sec}.${r.usec}`);
        assert.equal(ref.length, sent);
        assert.deepEqual(got, ref, 'the same datagrams, with the same kernel timestamps');
      } finally {
        ui.kill();
        await dump.stop(0);
      }
    });

    await t.test('two remote interfaces and one local merge into one pcapng: one IDB each, the right interface per packet, timestamps in order', async () => {
      const port = await freePort();
      const merged = path.join(dir, 'merged.pcapng');
      const names = ['lo', `${host}/lo`, `ssh://root@127.0.0.1:${sshd.port}/any`];
      const live = tcpwatch([...names.flatMap((n) => ['-i', n]), ...ssh, '-q', '-w', merged, `udp port ${port}`]);
      await live.waitForErr(/^listening on lo \(EN10MB/m, 'tcpwatch');
      const sent = await blast(port, 1000, 1);
      await sleep(200);
      live.child.kill('SIGINT');
      const { code } = await live.exited;
      assert.equal(code, 0, live.err);
      assert.match(live.err, new RegExp(`^per interface: lo ${sent} \\(0 dropped\\), .*/lo ${sent} \\(0 dropped\\), .*/any ${sent} \\(0 dropped\\)$`, 'm'));
      // tshark's reading: the interface of every packet, by id and by name, and the time.
      const r = spawnSync('tshark', ['-r', merged, '-T', 'fields', '-e', 'frame.interface_id', '-e', 'frame.interface_name', '-e', 'frame.time_epoch', '-e', 'udp.payload'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
      assert.equal(rows.length, 3 * sent);
      const seen = new Map<string, number[]>();
      let prev = 0;
      let decreasing = 0;
      for (const [id, name, time, payload] of rows) {
        assert.equal(name, names[Number(id)], `interface ${id} is named as its -i`);
        if (Number(time) < prev) decreasing++;
        prev = Math.max(prev, Number(time));
        const seq = Buffer.from(payload, 'hex').readUInt32BE(4);
        if (!seen.has(id)) seen.set(id, []);
        seen.get(id)!.push(seq);
      }
      assert.equal(decreasing, 0, 'timestamps never go back');
      for (const id of ['0', '1', '2']) assert.deepEqual(seen.get(id), [...Array(sent).keys()], `every datagram once, in order, on interface ${id}`);
      const idbs = spawnSync('capinfos', ['-I', merged], { encoding: 'utf8' });
      if (idbs.status === 0) assert.match(idbs.stdout, /Number of interfaces in file: 3/);
      // tcpwatch reading it back: frame.interface_name filters as a string.
      const back = spawnSync(process.execPath, [CLI, '-r', merged, '-Y', `frame.interface_name == "${names[2]}"`, '-T', 'fields', '-e', 'frame.interface_id'], { encoding: 'utf8' });
      assert.equal(back.status, 0, back.stderr);
      assert.deepEqual(back.stdout.trim().split('\n'), new Array(sent).fill('2'));
    });

    await t.test('failures: each is one line, exit status 2 before the capture starts', async () => {
      // Interface missing.
      assert.match(await failureLine(tcpwatch(['-i', `${host}/nosuch0`, ...ssh]), 2), /has no interface named "nosuch0": tcpwatch -D --remote/);
      // Authentication refused: an account the server lets nobody into.
      assert.match(await failureLine(tcpwatch(['-i', `ssh://nobody@127.0.0.1:${sshd.port}/lo`, ...ssh]), 2), /nobody@127\.0\.0\.1: the server refused authentication \(Permission denied \(publickey\)\)/);
      // Host key changed: known_hosts holds another key for this host and port.
      const otherKey = path.join(dir, 'other_key');
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
      const known = path.join(dir, 'changed_known_hosts');
      fs.writeFileSync(known, `[127.0.0.1]:${sshd.port} ${fs.readFileSync(otherKey + '.pub', 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
      assert.match(await failureLine(tcpwatch(['-i', `${host}/lo`, '--ssh-command', `${sshd.sshCommand} -o UserKnownHostsFile=${known}`]), 2), /its host key has changed since it was recorded in known_hosts/);
      // Filter rejected by the remote tcpdump.
      assert.match(await failureLine(tcpwatch(['-i', `${host}/lo`, ...ssh, 'port', 'nosuchservice']), 2), /capture filter rejected by tcpdump on 127\.0\.0\.1: unknown port 'nosuchservice'/);
      // No capture program: a host whose PATH leads to no tcpdump.
      const bare = await startSshd(['SetEnv PATH=/nonexistent']);
      extra.push(bare);
      assert.match(await failureLine(tcpwatch(['-i', `ssh://127.0.0.1:${bare.port}/lo`, '--ssh-command', bare.sshCommand]), 2), /127\.0\.0\.1 has no tcpdump on its PATH/);
      // --remote-sudo where there is no sudo (this host is the remote one): said as such.
      if (!have('sudo')) {
        assert.match(await failureLine(tcpwatch(['-i', `${host}/lo`, '--remote-sudo', ...ssh]), 2), /127\.0\.0\.1 has no sudo, which --remote-sudo needs/);
      }
      // Permission denied: a host whose sessions cannot open packet sockets (no CAP_NET_RAW even for root).
      if (have('setpriv')) {
        const caged = await startSshd([], ['setpriv', '--bounding-set', '-net_raw']);
        extra.push(caged);
        assert.match(await failureLine(tcpwatch(['-i', `ssh://127.0.0.1:${caged.port}/lo`, '--ssh-command', caged.sshCommand]), 2), /no permission to capture on lo on 127\.0\.0\.1: add --remote-sudo/);
      }
      // Nothing listening.
      const closed = await freePort();
      assert.match(await failureLine(tcpwatch(['-i', `ssh://127.0.0.1:${closed}/lo`, ...ssh]), 2), /connection refused/);
      // Options that need a remote interface.
      assert.match(await failureLine(tcpwatch(['-i', 'lo', '--remote-sudo']), 2), /--remote-sudo applies to remote interfaces/);
      assert.match(await failureLine(tcpwatch(['-i', 'ssh://-oProxyCommand=touch/lo']), 2), /no host name/);
    });

    await t.test('the connection dropping mid-capture: the -w file ends with the last whole packet, exit status 1', async () => {
      const port = await freePort();
      const ours = path.join(dir, 'dropped.pcap');
      const live = tcpwatch(['-i', `${host}/lo`, ...ssh, '-q', '-w', ours, `udp port ${port}`]);
      await live.waitForErr(/^listening on ssh:/m, 'tcpwatch');
      const sending = blast(port, 5000, 1.5);
      await sleep(700);
      // The server side of this one connection: sshd's processes for it, not the listener.
      const below = descendants(sshd.proc.pid!);
      const sessions = below.filter((pid) => /sshd/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
      assert.ok(sessions.length > 0, 'no sshd session process');
      for (const pid of sessions) process.kill(pid, 'SIGKILL');
      await sending;
      const { code } = await live.exited;
      assert.equal(code, 1, live.err);
      assert.match(live.err, /tcpwatch: the connection to 127\.0\.0\.1 dropped mid-capture after \d+ packets \(.*\); .*dropped\.pcap holds the \d+ packets received, each whole/);
      const m = /holds the (\d+) packets/.exec(live.err)!;
      const check = spawnSync('tshark', ['-r', ours, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
      assert.doesNotMatch(check.stderr, /cut short|damaged/);
      assert.equal(check.stdout.trim().split('\n').length, Number(m[1]));
      assert.ok(Number(m[1]) > 100, `packets before the drop: ${m[1]}`);
      // What the killed session left (its shell, tcpdump) ends by itself: its channel is gone.
      for (const pid of below) {
        if (sessions.includes(pid)) continue;
        for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) await sleep(20);
        if (fs.existsSync(`/proc/${pid}`)) {
          process.kill(pid, 'SIGKILL');
          assert.fail(`process ${pid} of the dropped session was still running`);
        }
      }
    });
  } finally {
    for (const s of extra) await s.stop();
    await sshd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
