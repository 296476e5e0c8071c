// The lab's subcommands as a user runs them: `tcpwatch chat serve|connect`, `tcpwatch tls serve` and
// `tcpwatch demo`, each a real process on loopback; bad arguments end in one line and status 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { fetchOverTls, LAB_PAGE_HTML } from '../src/lab/tls-server';
import { runLabChatExchange } from '../src/lab/chat';
import { CLI, REPO_ROOT } from './helpers/corpus';
import { PYTHON_LAB_CLIENT } from './helpers/python-lab-client';
import { have, isRoot } from './helpers/system';
import { freePort } from './helpers/loopback';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A tcpwatch process whose output is collected as it arrives. */
class Cli {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[], opts: { stdin?: 'pipe' | 'ignore' } = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((r) => this.child.on('close', (code) => r(code)));
  }
  async waitFor(what: RegExp | string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const has = () => (typeof what === 'string' ? this.stdout.includes(what) : what.test(this.stdout));
    while (!has()) {
      if (Date.now() > deadline) assert.fail(`no ${String(what)} in output:\n${this.stdout}\n${this.stderr}`);
      await sleep(10);
    }
  }
  async stop(): Promise<number | null> {
    this.child.kill('SIGINT');
    return this.exited;
  }
}

/** A raw TCP peer that records what the chat server sends it. */
async function observer(port: number): Promise<{ socket: Socket; received: () => string; name: string }> {
  let received = '';
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  socket.setEncoding('utf8');
  socket.on('data', (s: string) => (received += s));
  socket.on('error', () => {});
  return { socket, received: () => received, name: `127.0.0.1:${socket.localPort}` };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('chat serve and chat connect: lines from stdin reach the others, what arrives is printed, end of input closes', async () => {
  const port = await freePort();
  const server = new Cli(['chat', 'serve', '--port', String(port)]);
  try {
    await server.waitFor(`chat server listening on 127.0.0.1:${port}`);
    const peer = await observer(port);
    const client = new Cli(['chat', 'connect', '127.0.0.1', String(port)], { stdin: 'pipe' });
    await client.waitFor(`* connected to 127.0.0.1:${port}`);
    await until(() => /\* 127\.0\.0\.1:\d+ joined \(2 online\)/.test(peer.received()), 'the join announcement');
    const clientName = /\* (127\.0\.0\.1:\d+) joined \(2 online\)/.exec(peer.received())![1];
    client.child.stdin!.write('Hey\n');
    await until(() => peer.received().includes(`${clientName}: Hey\n`), 'Hey at the other client');
    peer.socket.write('Grüezi 👋\n');
    await client.waitFor(`${peer.name}: Grüezi 👋`);
    client.child.stdin!.end();
    assert.equal(await client.exited, 0, client.stderr);
    assert.match(client.stdout, /\* closing connection\n/);
    await until(() => peer.received().includes(`* ${clientName} left (1 online)\n`), 'the leave announcement');
    await server.waitFor(`${clientName}: Hey`);
    peer.socket.destroy();
  } finally {
    assert.equal(await server.stop(), 0, server.stderr);
  }
  assert.equal(server.stderr, '');
});

test("the lab's Python client talks to `tcpwatch chat serve`", { skip: have('python3') ? false : 'python3 not installed' }, async () => {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'tcpwatch-labcli-'));
  const script = path.join(dir, 'lab_client.py');
  fs.writeFileSync(script, PYTHON_LAB_CLIENT);
  const port = await freePort();
  const server = new Cli(['chat', 'serve', '--port', String(port)]);
  try {
    await server.waitFor('listening');
    const peer = await observer(port);
    const py = spawn('python3', [script, '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONIOENCODING: 'utf-8' } });
    let pyOut = '';
    py.stdout.on('data', (c: Buffer) => (pyOut += c.toString()));
    const pyExit = new Promise<number | null>((r) => py.on('close', (code) => r(code)));
    await until(() => /\* 127\.0\.0\.1:\d+ joined \(2 online\)/.test(peer.received()), 'the Python client joining');
    const pyName = /\* (127\.0\.0\.1:\d+) joined \(2 online\)/.exec(peer.received())![1];
    py.stdin.write('Hey\n');
    await until(() => peer.received().includes(`${pyName}: Hey\n`), 'Hey from Python');
    peer.socket.write('hello python\n');
    await until(() => pyOut.includes(`${peer.name}: hello python`), 'the answer printed by Python');
    py.stdin.write('\n');
    assert.equal(await pyExit, 0);
    assert.match(pyOut, /Closing connection\.\.\./);
    await server.waitFor(`${pyName} left`);
    peer.socket.destroy();
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('chat serve --lab answers once and closes first, as the lab server does', async () => {
  const port = await freePort();
  const server = new Cli(['chat', 'serve', '--lab', '--port', String(port)]);
  try {
    await server.waitFor('lab mode');
    const result = await runLabChatExchange({ port });
    assert.deepEqual(result, { reply: 'Hi', serverClosedFirst: true });
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('tls serve: prints its URL and key log, serves TLS 1.3 and 1.2, and writes every session secret', async () => {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'tcpwatch-labcli-'));
  const keylog = path.join(dir, 'keys.log');
  const port = await freePort();
  const server = new Cli(['tls', 'serve', '--port', String(port), '--keylog', keylog]);
  try {
    await server.waitFor(`key log: ${keylog}\n`);
    assert.match(server.stdout, new RegExp(`^HTTPS server on https://127\\.0\\.0\\.1:${port}/ `));
    const v13 = await fetchOverTls({ port, minVersion: 'TLSv1.3' });
    const v12 = await fetchOverTls({ port, maxVersion: 'TLSv1.2' });
    assert.equal(v13.protocol, 'TLSv1.3');
    assert.equal(v12.protocol, 'TLSv1.2');
    assert.equal(v13.body, LAB_PAGE_HTML);
    const lines = fs.readFileSync(keylog, 'utf8').trim().split('\n');
    assert.ok(lines.some((l) => l.startsWith('SERVER_TRAFFIC_SECRET_0 ')), 'TLS 1.3 secrets');
    assert.ok(lines.some((l) => l.startsWith('CLIENT_RANDOM ')), 'TLS 1.2 master secret');
    assert.equal(fs.statSync(keylog).mode & 0o777, 0o600);
  } finally {
    assert.equal(await server.stop(), 0, server.stderr);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad arguments end in one line on stderr and status 2', () => {
  const cases: [string[], string][] = [
    [['chat'], 'tcpwatch: "chat" needs a subcommand: serve or connect\n'],
    [['chat', 'listen'], 'tcpwatch: unknown chat subcommand "listen": use serve or connect\n'],
    [['chat', 'serve', '--port', '0'], 'tcpwatch: invalid port "0": expected a whole number from 1 to 65535\n'],
    [['chat', 'serve', '--port', '8989x'], 'tcpwatch: invalid port "8989x": expected a whole number from 1 to 65535\n'],
    [['chat', 'serve', '--host', ''], 'tcpwatch: invalid host "": expected a name or an address such as 127.0.0.1\n'],
    [['chat', 'connect'], "tcpwatch: missing required argument 'host'\n"],
    [['chat', 'connect', '127.0.0.1', '65536'], 'tcpwatch: invalid port "65536": expected a whole number from 1 to 65535\n'],
    [['chat', 'connect', '127.0.0.1', '80', 'extra'], "tcpwatch: too many arguments for 'connect'. Expected 2 arguments but got 3.\n"],
    [['tls'], 'tcpwatch: "tls" needs a subcommand: serve\n'],
    [['tls', 'serve', '--port', '-1'], 'tcpwatch: invalid port "-1": expected a whole number from 1 to 65535\n'],
    [['tls', 'serve', '--bogus'], "tcpwatch: unknown option '--bogus'\n"],
    [['demo', '-w', 'capture.pcap'], 'tcpwatch: demo saves pcapng, with the key log inside: give -w a name ending in .pcapng (not "capture.pcap")\n'],
    [['demo', '-c', 'none'], 'tcpwatch: invalid packet count "none": expected a positive whole number\n'],
  ];
  for (const [args, stderr] of cases) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input: '' });
    assert.equal(r.stderr, stderr, args.join(' '));
    assert.equal(r.status, 2, args.join(' '));
  }
});

test('a refused connection and a port in use are reported in one line, status 1', async () => {
  const port = await freePort();
  const r = spawnSync(process.execPath, [CLI, 'chat', 'connect', '127.0.0.1', String(port)], { encoding: 'utf8', input: '' });
  assert.equal(r.stderr, `tcpwatch: cannot connect to 127.0.0.1:${port}: ECONNREFUSED\n`);
  assert.equal(r.status, 1);
  const taken = createServer();
  await new Promise<void>((res) => taken.listen(port, '127.0.0.1', () => res()));
  try {
    for (const cmd of [['chat', 'serve'], ['tls', 'serve']]) {
      const c = new Cli([...cmd, '--port', String(port)]);
      assert.equal(await c.exited, 1);
      assert.match(c.stderr, new RegExp(`^tcpwatch: (chat|HTTPS) server: port ${port} on 127\\.0\\.0\\.1 is already in use .*\\n$`));
    }
  } finally {
    taken.close();
  }
});

/** Which of these fields this build knows (a field from a lane that has not landed is refused). */
function knownFields(names: string[]): string[] {
  return names.filter((f) => spawnSync(process.execPath, [CLI, '-r', path.join(REPO_ROOT, 'samples', 'lab.pcapng'), '-c', '1', '-T', 'fields', '-e', f]).status === 0);
}

const canCapture = isRoot && have('tcpdump');

test('demo --no-ui as root: the capture holds the chat handshake, "Hey" in plaintext, a Client Hello with SNI and decrypted HTTP', { skip: canCapture ? false : 'needs root and tcpdump' }, async (t) => {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'tcpwatch-demo-test-'));
  try {
    const fields = ['tcp.stream', 'tcp.srcport', 'tcp.dstport', 'tcp.flags.str', 'tcp.payload'];
    const tlsFields = knownFields(['tls.handshake.type', 'tls.handshake.extensions_server_name']);
    const httpFields = knownFields(['http.request.method', 'http.request.uri', 'http.response.code']);
    const all = [...fields, ...tlsFields, ...httpFields];
    const out = path.join(dir, 'demo.pcapng');
    const r = spawnSync(process.execPath, [CLI, 'demo', '--no-ui', '-w', out, '-T', 'fields', ...all.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    const chatPort = Number(/TCP stream 0 is the chat on port (\d+)/.exec(r.stderr)![1]);
    const rows = r.stdout.trim().split('\n').map((line) => {
      const cells = line.split('\t');
      return Object.fromEntries(all.map((f, i) => [f, cells[i] ?? '']));
    });
    const chat = rows.filter((row) => row['tcp.stream'] === '0');
    const letters = (s: string) => s.replace(/[^A-Z]/g, '');
    // the three-way handshake, client to the chat port first
    assert.equal(chat[0]['tcp.dstport'], String(chatPort));
    assert.deepEqual(chat.slice(0, 3).map((row) => letters(row['tcp.flags.str'])), ['S', 'AS', 'A']);
    // "Hey" crosses the wire as plaintext
    const hey = chat.find((row) => row['tcp.payload'] !== '' && row['tcp.dstport'] === String(chatPort));
    assert.equal(Buffer.from(hey!['tcp.payload'].replace(/:/g, ''), 'hex').toString(), 'Hey');
    // the server closes first (its FIN before the client's)
    const fins = chat.filter((row) => letters(row['tcp.flags.str']).includes('F')).map((row) => row['tcp.srcport'] === String(chatPort) ? 'server' : 'client');
    assert.deepEqual(fins, ['server', 'client']);
    // the capture was saved with its key log beside it and inside it
    assert.ok(fs.statSync(out).size > 0 && fs.statSync(path.join(dir, 'demo.keylog')).size > 0);
    await t.test('Client Hello with SNI', { skip: tlsFields.length === 2 ? false : 'TLS dissection is not in this build' }, () => {
      const hellos = rows.filter((row) => row['tls.handshake.type'].split(',').includes('1'));
      assert.equal(hellos.length, 3, 'one Client Hello per HTTPS request');
      for (const h of hellos) assert.equal(h['tls.handshake.extensions_server_name'], 'localhost');
    });
    await t.test('HTTP decrypted with the key log', { skip: httpFields.length === 3 ? false : 'HTTP inside decrypted TLS is not in this build' }, () => {
      const requests = rows.filter((row) => row['http.request.method'] !== '').map((row) => `${row['http.request.method']} ${row['http.request.uri']}`);
      assert.deepEqual(requests, ['GET /', 'GET /missing', 'GET /']);
      const codes = rows.filter((row) => row['http.response.code'] !== '').map((row) => row['http.response.code']);
      assert.deepEqual(codes, ['200', '404', '200']);
    });
    // and the explain view of the saved capture tells the lab's story
    const explain = spawnSync(process.execPath, [CLI, '-r', out, '--explain', '0'], { encoding: 'utf8' });
    assert.match(explain.stdout, /Client pushes 3 bytes of data \("Hey"\)/);
    assert.match(explain.stdout, /Final ACK completes the four-way teardown/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const canDropToNobody = isRoot && have('setpriv');

test('demo without permission to capture explains why and opens the bundled sample', { skip: canDropToNobody ? false : 'needs root (to become an unprivileged user) and setpriv' }, () => {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, CLI, 'demo', '--no-ui', '-c', '4'], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^tcpwatch demo: cannot capture here: (no permission to capture on lo|capturing on lo needs root or CAP_NET_RAW)/m);
  assert.match(r.stderr, /opening the bundled sample instead: .*samples\/lab\.pcapng/);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /→ 8989 \[SYN\] Seq=0 /);
  assert.match(lines[3], /→ 8989 \[PSH, ACK\] Seq=1 Ack=1 .*Len=3/);
});
