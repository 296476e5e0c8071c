// SSH as tshark 4.0 shows it (src/protocols/ssh/): the corpus captures frame by frame, a session
// recorded here between OpenSSH's ssh and sshd on loopback, the display filters, and hostile bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { filterDisagreements } from './helpers/filter-agreement';
import { have, isRoot } from './helpers/system';
import { buildFrame } from './helpers/frames';
import { openCaptureWriter } from '../src/capture/file-writer';
import { CapturedFrame } from '../src/capture/frame';

const corpus = corpusDir();
const run = (cmd: string, args: string[], timeout = 60_000): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024, timeout });
const tcpwatch = (args: string[]): string => run(process.execPath, [CLI, ...args]);

const FIELDS = [
  'frame.number', 'frame.protocols', '_ws.col.Protocol', '_ws.col.Info', 'ssh.protocol', 'ssh.packet_length',
  'ssh.padding_length', 'ssh.message_code', 'ssh.cookie', 'ssh.kex_algorithms', 'ssh.kex_algorithms_length',
  'ssh.server_host_key_algorithms', 'ssh.encryption_algorithms_client_to_server',
  'ssh.encryption_algorithms_server_to_client', 'ssh.mac_algorithms_client_to_server',
  'ssh.mac_algorithms_server_to_client', 'ssh.compression_algorithms_client_to_server',
  'ssh.compression_algorithms_server_to_client', 'ssh.languages_client_to_server',
  'ssh.languages_server_to_client_length', 'ssh.first_kex_packet_follows', 'ssh.kex.reserved', 'ssh.padding_string',
  'ssh.direction',
];
const fieldArgs = FIELDS.flatMap((f) => ['-e', f]);
const PROTOCOLS = FIELDS.indexOf('frame.protocols');

/** The rows of frames SSH has a say in: tshark or tcpwatch put SSH in the frame, or a PDU's piece is marked. */
function sshRows(out: string): Map<number, string[]> {
  const rows = new Map<number, string[]>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    rows.set(Number(cols[0]), cols);
  }
  return rows;
}
const concerns = (cols: string[] | undefined): boolean =>
  cols !== undefined && (/:ssh(:|$)/.test(cols[PROTOCOLS]) || cols[3].includes('[TCP segment of a reassembled PDU]'));

const CAPTURES = [
  'valid/tcpdump-protocols/ssh.pcap', 'valid/tcpdump-protocols/mptcp-v0.pcap', 'valid/ja4/gre-sample.pcap',
  'valid/ja4/tcpdump-geneve.pcap', 'valid/ja4/v6.pcap',
];

test('SSH in the corpus: Protocol, Info and the ssh.* fields agree with tshark frame by frame', { skip: corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false }, () => {
  let compared = 0;
  for (const rel of CAPTURES) {
    const file = path.join(corpus!, rel);
    const want = sshRows(run('tshark', ['-n', '-r', file, '-T', 'fields', ...fieldArgs]));
    const got = sshRows(tcpwatch(['-r', file, '-T', 'fields', ...fieldArgs]));
    for (const [n, theirs] of want) {
      const ours = got.get(n);
      if (!concerns(theirs) && !concerns(ours)) continue;
      // frame.protocols differs where tcpwatch lacks a layer (MPTCP): compare SSH's part of it
      const strip = (c: string[]): string[] => [c[0], /:ssh(:|$)/.test(c[PROTOCOLS]) ? 'ssh' : '', ...c.slice(2)];
      assert.deepEqual(strip(ours!), strip(theirs), `${rel} frame ${n}`);
      compared++;
    }
  }
  assert.ok(compared >= 240, `compared ${compared} SSH frames`);
  // tshark asks TCP for 4 bytes too few to finish an SSHv1 packet (packet-ssh.c leaves the length
  // field out): the reassembled packet reads as nothing and reading resumes 4 bytes early.
  const v6 = tcpwatch(['-r', path.join(corpus!, 'valid/ja4/v6.pcap'), '-Y', 'frame.number == 63 || frame.number == 65 || frame.number == 68', '-T', 'fields', ...fieldArgs.slice(0, 8)]);
  assert.match(v6, /^65\teth:ethertype:ipv6:tcp:ssh:ssh\tSSHv1\t$/m);
  assert.match(v6, /^68\teth:ethertype:ipv6:tcp\tTCP\t.*\[TCP segment of a reassembled PDU\]/m);
});

test('the display filters ssh and ssh.message_code == 20 select the frames tshark selects', { skip: corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false }, async () => {
  const filters = ['ssh', 'ssh.message_code == 20', 'ssh.message_code == 21', 'ssh.direction == 1', 'ssh.protocol contains "OpenSSH"'];
  assert.deepEqual(await filterDisagreements(CAPTURES.map((rel) => path.join(corpus!, rel)), filters), []);
});

test('an SSH stream reads as encrypted in the stream verdicts, not opaque', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const out = tcpwatch(['-r', path.join(corpus!, 'valid/tcpdump-protocols/ssh.pcap'), '-Y', 'tcp.len > 0', '-T', 'fields', '-e', 'tcpwatch.stream.verdict']);
  const verdicts = new Set(out.split('\n').filter(Boolean));
  assert.deepEqual([...verdicts], ['encrypted']);
});

/** A TCP port on 127.0.0.1 nobody listens on: 29418 (where tshark also decodes SSH) when free, else 22. */
async function freeSshPort(): Promise<number | null> {
  for (const port of [29418, 22]) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  return null;
}

const sshdSkip = !isRoot ? 'needs root (tcpdump on lo)' : !fs.existsSync('/usr/sbin/sshd') ? 'needs sshd' :
  !have('ssh') || !have('tcpdump') || !have('tshark') ? 'needs ssh, tcpdump and tshark' : false;

test('a session recorded between OpenSSH ssh and sshd on loopback reads as tshark reads it', { skip: sshdSkip, timeout: 60_000 }, async () => {
  const port = await freeSshPort();
  assert.ok(port !== null, 'neither 29418 nor 22 is free on 127.0.0.1');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ssh-'));
  const pcap = path.join(dir, 'ssh.pcap');
  const hostKey = path.join(dir, 'host_ed25519');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { timeout: 10_000 });
  // sshd refuses to start without its privilege separation directory (the Debian service makes it at boot).
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dump = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-w', pcap, 'tcp', 'port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-p', String(port), '-o', 'ListenAddress=127.0.0.1', '-h', hostKey,
    '-o', 'PidFile=none', '-o', 'UsePAM=no', '-o', `AuthorizedKeysFile=${path.join(dir, 'none')}`, '-o', 'StrictModes=no'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    await Promise.all([saysOnStderr(dump, /listening on/), saysOnStderr(sshd, /Server listening/)]);
    // Key exchange completes; authentication then fails (no keys, no password in batch mode).
    spawnSync('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'ConnectTimeout=5', '-p', String(port), 'nobody@127.0.0.1', 'true'], { timeout: 20_000, stdio: ['ignore', 'ignore', 'pipe'] });
    await sleep(500);
  } finally {
    sshd.kill('SIGTERM');
    dump.kill('SIGTERM');
    await new Promise((r) => dump.once('exit', r));
  }
  try {
    const want = run('tshark', ['-n', '-r', pcap, '-d', `tcp.port==${port},ssh`, '-T', 'fields', ...fieldArgs]);
    const got = tcpwatch(['-r', pcap, '-T', 'fields', ...fieldArgs]);
    assert.equal(got, want);
    assert.match(got, /\tClient: Key Exchange Init\t/);
    assert.match(got, /\tServer: Protocol \(SSH-2\.0-OpenSSH/);
    assert.match(got, /New Keys/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Resolves when the child writes `what` to stderr; rejects when it exits first or after 10 s. */
function saysOnStderr(child: ChildProcess, what: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no ${what} after 10 s: ${text}`)), 10_000);
    child.stderr!.on('data', (b: Buffer) => {
      text += b.toString();
      if (what.test(text)) { clearTimeout(timer); resolve(); }
    });
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`exited before ${what}: ${text}`)); });
  });
}

// ---- hostile bytes ----

const be32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
/** An SSHv2 binary packet: length, padding length, code, body, padding (possibly lying). */
const packet = (plen: number, padding: number, code: number, body: Buffer = Buffer.alloc(0)): Buffer =>
  Buffer.concat([be32(plen), Buffer.from([padding, code]), body, Buffer.alloc(Math.min(padding, 64))]);

function writeSession(file: string, segments: { fromServer: boolean; payload: Buffer }[]): void {
  const w = openCaptureWriter(file, 1);
  const f = new CapturedFrame();
  const seq = [1, 1];
  segments.forEach((s, i) => {
    const side = s.fromServer ? 1 : 0;
    const frame = buildFrame({
      src: s.fromServer ? '10.0.0.2' : '10.0.0.1', dst: s.fromServer ? '10.0.0.1' : '10.0.0.2',
      sport: s.fromServer ? 22 : 50000, dport: s.fromServer ? 50000 : 22, flags: 0x018,
      seq: seq[side], ack: seq[1 - side], payload: s.payload,
    });
    seq[side] += s.payload.length;
    w.write(f.wrap(frame, 1, 1_700_000_000 + i));
  });
  w.close();
}

test('hostile SSH bytes never throw or hang: long banners, huge and wrapping lengths, lying padding, split headers', { timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ssh-hostile-'));
  try {
    const banner = Buffer.from('SSH-2.0-OpenSSH_9.2\r\n');
    const cases: Record<string, { fromServer: boolean; payload: Buffer }[]> = {
      'banner-without-newline': [
        { fromServer: false, payload: Buffer.concat([Buffer.from('SSH-2.0-'), Buffer.alloc(65000, 0x41)]) },
        { fromServer: false, payload: Buffer.alloc(1400, 0x42) },
      ],
      'huge-length': [
        { fromServer: false, payload: banner },
        { fromServer: false, payload: packet(0x7fffffff, 4, 20) },
        { fromServer: false, payload: Buffer.alloc(1000, 7) },
      ],
      'wrapping-length': [{ fromServer: false, payload: banner }, { fromServer: false, payload: packet(0xfffffffd, 4, 21) }],
      'padding-past-length': [{ fromServer: false, payload: banner }, { fromServer: false, payload: packet(12, 200, 21, Buffer.alloc(10)) }],
      'zero-length': [{ fromServer: false, payload: banner }, { fromServer: false, payload: Buffer.concat([be32(0), be32(0), be32(0)]) }],
      'split-header': [
        { fromServer: false, payload: banner },
        { fromServer: false, payload: Buffer.from([0, 0]) },
        { fromServer: false, payload: Buffer.from([0]) },
        { fromServer: false, payload: Buffer.concat([Buffer.from([12, 10, 21]), Buffer.alloc(10)]) },
      ],
      'kexinit-lists-past-end': [
        { fromServer: false, payload: banner },
        { fromServer: false, payload: packet(100, 4, 20, Buffer.concat([Buffer.alloc(16), be32(0xffffff00)])) },
      ],
      'many-tiny-packets': [{ fromServer: false, payload: banner }, { fromServer: false, payload: Buffer.concat(Array.from({ length: 4000 }, () => packet(12, 10, 2, Buffer.alloc(0)))) }],
      'ssh1-garbage': [
        { fromServer: false, payload: Buffer.from('SSH-1.5-x\n') },
        { fromServer: true, payload: Buffer.concat([be32(0xffffffff), Buffer.alloc(20)]) },
        { fromServer: false, payload: Buffer.concat([be32(3), Buffer.alloc(2)]) },
      ],
    };
    for (const [name, segments] of Object.entries(cases)) {
      const file = path.join(dir, `${name}.pcap`);
      writeSession(file, segments);
      const started = Date.now();
      const out = run(process.execPath, [CLI, '-r', file, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info', '-e', 'ssh.packet_length', '-e', 'ssh.kex_algorithms'], 30_000);
      assert.equal(out.trim().split('\n').length, segments.length, `${name}: every frame listed`);
      assert.ok(Date.now() - started < 30_000, `${name} took too long`);
      run(process.execPath, [CLI, '-r', file, '-V'], 30_000);
    }
    const read = (name: string) => tcpwatch(['-r', path.join(dir, `${name}.pcap`), '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info']).trim().split('\n');
    // tshark's reassembly waits for the banner's line end for ever, and for a 2 GB packet
    assert.deepEqual(read('banner-without-newline'), ['TCP\t[TCP segment of a reassembled PDU]', `TCP\t50000 → 22 [PSH, ACK] Seq=65009 Ack=1 Win=502 Len=1400 [TCP segment of a reassembled PDU]`]);
    assert.equal(read('huge-length')[1], 'SSHv2\t[TCP segment of a reassembled PDU]'.replace('SSHv2', 'TCP'));
    assert.match(read('padding-past-length')[1], /\[Malformed Packet\]$/);
    assert.deepEqual(read('split-header').slice(1), [
      'TCP\t[TCP segment of a reassembled PDU]',
      'TCP\t50000 → 22 [PSH, ACK] Seq=24 Ack=1 Win=502 Len=1 [TCP segment of a reassembled PDU]',
      'SSHv2\tClient: New Keys',
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
