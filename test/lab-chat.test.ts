// The lab chat on loopback: real server, real sockets, the lab's own Python client when python3 exists,
// and (as root with tcpdump and tshark) the packets of the scripted exchange as the lab report lists them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { isUtf8 } from 'node:buffer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  firstInvalidUtf8Offset,
  runChatClient,
  runLabChatExchange,
  startChatServer,
  ChatServer,
  ChatServerOptions,
} from '../src/lab/chat';
import { PYTHON_LAB_CLIENT } from './helpers/python-lab-client';
import { startTcpdump } from './helpers/tcpdump';
import { have, isRoot } from './helpers/system';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// A raw TCP peer that records everything the server sends it.
class Peer {
  received = '';
  closed = false;
  // Kept from the start: a closed socket no longer knows its port.
  readonly name: string;
  private waiters: Array<() => void> = [];
  constructor(readonly socket: Socket) {
    this.name = `127.0.0.1:${socket.localPort}`;
    socket.setEncoding('utf8');
    socket.on('data', (s: string) => {
      this.received += s;
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  static open(port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(new Peer(s)));
      s.once('error', reject);
    });
  }
  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  async waitFor(what: string | RegExp, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const has = () => (typeof what === 'string' ? this.received.includes(what) : what.test(this.received));
    while (!has()) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`${this.name} did not receive ${String(what)}; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  async waitClosed(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) assert.fail(`${this.name} was not closed`);
      await sleep(10);
    }
  }
}

async function withServer(opts: ChatServerOptions, body: (server: ChatServer, log: string[]) => Promise<void>): Promise<void> {
  const log: string[] = [];
  const server = await startChatServer({ host: '127.0.0.1', port: 0, log: (l) => log.push(l), ...opts });
  try {
    await body(server, log);
  } finally {
    await server.close();
  }
}

test('messages reach every other client, joins and leaves are announced', async () => {
  await withServer({}, async (server) => {
    assert.ok(server.port > 0);
    const a = await Peer.open(server.port);
    const b = await Peer.open(server.port);
    await a.waitFor(`* ${b.name} joined (2 online)`);
    const c = await Peer.open(server.port);
    await a.waitFor(`* ${c.name} joined (3 online)`);
    await b.waitFor(`* ${c.name} joined (3 online)`);
    assert.equal(server.clientCount(), 3);

    // newline-framed, as netcat sends
    a.socket.write('hello from a\n');
    await b.waitFor(`${a.name}: hello from a\n`);
    await c.waitFor(`${a.name}: hello from a\n`);
    // bare bytes, as the lab's Python client sends
    b.socket.write('Hey');
    await a.waitFor(`${b.name}: Hey\n`);
    await c.waitFor(`${b.name}: Hey\n`);
    // CRLF from telnet loses its CR; two lines in one segment are two messages
    c.socket.write('one\r\ntwo\n');
    await a.waitFor(`${c.name}: one\n${c.name}: two\n`);

    await sleep(50);
    assert.ok(!a.received.includes('hello from a'), 'a sender does not get its own message back');
    assert.ok(!b.received.includes(`${b.name}: Hey`));
    // joins are announced to the others only
    assert.ok(!c.received.includes(`${c.name} joined`));

    c.socket.end();
    await a.waitFor(`* ${c.name} left (2 online)\n`);
    await b.waitFor(`* ${c.name} left (2 online)\n`);
    a.socket.destroy();
    b.socket.destroy();
  });
});

test('a client killed mid-line does not take the server down', async () => {
  await withServer({ bareMessageIdleMs: 300 }, async (server, log) => {
    const a = await Peer.open(server.port);
    const b = await Peer.open(server.port);

    // Reset (RST) after half a line: the fragment is dropped and the reset is named.
    const reset = await Peer.open(server.port);
    await a.waitFor(`${reset.name} joined`);
    reset.socket.write('a complete line\nhalf a li');
    await a.waitFor(`${reset.name}: a complete line\n`);
    reset.socket.resetAndDestroy();
    await a.waitFor(new RegExp(`\\* ${reset.name} left \\(2 online, connection reset; an unfinished message of 9 bytes was dropped\\)`));
    assert.ok(!a.received.includes('half a li'));

    // Closed (FIN) in the middle of a UTF-8 character: the server answers a socket that is gone.
    const cut = await Peer.open(server.port);
    await a.waitFor(`${cut.name} joined`);
    cut.socket.write(Buffer.from([0x47, 0x72, 0xc3])); // "Gr" and the first byte of "ü"
    cut.socket.destroy();
    await a.waitFor(`* ${cut.name} left`);
    assert.ok(!a.received.includes(`${cut.name}: Gr`));

    // Closed (FIN) after bare bytes: a half-close ends a bare message, so it is delivered.
    const fin = await Peer.open(server.port);
    await a.waitFor(`${fin.name} joined`);
    fin.socket.end('bye for now');
    await a.waitFor(`${fin.name}: bye for now\n* ${fin.name} left (2 online)\n`);

    // Many resets at once, each right after a partial line. Whether a fragment is dropped here is up to
    // timing: when the bytes and the RST arrive in one poll, libuv reports an orderly end-of-stream
    // (POLLHUP after a partial read), and a half-close ends a bare message. Survival is what counts.
    const victims = await Promise.all(Array.from({ length: 10 }, () => Peer.open(server.port)));
    await sleep(50);
    for (const v of victims) {
      v.socket.write('partial');
      v.socket.resetAndDestroy();
    }
    const deadline = Date.now() + 2000;
    while (server.clientCount() !== 2 && Date.now() < deadline) await sleep(10);
    assert.equal(server.clientCount(), 2);

    a.socket.write('still here?\n');
    await b.waitFor(`${a.name}: still here?\n`);
    b.socket.write('yes');
    await a.waitFor(`${b.name}: yes\n`);
    assert.ok(log.some((l) => l.includes('connection reset')));
    a.socket.destroy();
    b.socket.destroy();
  });
});

test('an overlong message gets a clear answer and the connection stays usable', async () => {
  await withServer({ maxMessageBytes: 4096 }, async (server) => {
    const sender = await Peer.open(server.port);
    const other = await Peer.open(server.port);
    await sender.waitFor(`${other.name} joined`);

    sender.socket.write('x'.repeat(5000) + '\n');
    await sender.waitFor('* message not delivered: longer than 4096 bytes; the rest of it is ignored\n');
    // exactly at the limit is fine
    sender.socket.write('y'.repeat(4096) + '\n');
    await other.waitFor(`${sender.name}: ${'y'.repeat(4096)}\n`);
    // a bare (newline-less) message over the limit, written in pieces
    sender.received = '';
    sender.socket.write('z'.repeat(3000));
    sender.socket.write('z'.repeat(3000));
    await sender.waitFor('longer than 4096 bytes');
    await sleep(60);
    sender.socket.write('after the long one\n');
    await other.waitFor(`${sender.name}: after the long one\n`);
    assert.ok(!other.received.includes('xxxx'));
    assert.ok(!other.received.includes('zzzz'));
    assert.equal(sender.closed, false);
    sender.socket.destroy();
    other.socket.destroy();
  });
});

test('the server refuses clients beyond its limit and drops a client that stops reading', async () => {
  await withServer({ maxClients: 2 }, async (server) => {
    const a = await Peer.open(server.port);
    const stuck = await Peer.open(server.port);
    await a.waitFor(`${stuck.name} joined`);
    const third = await Peer.open(server.port);
    await third.waitFor('* server full (2 clients); try again later\n');
    await third.waitClosed();

    // `stuck` never reads: once the kernel buffers are full the server stops queueing for it.
    stuck.socket.pause();
    const line = 'm'.repeat(4000) + '\n';
    const burst = line.repeat(256); // 1 MB per write
    let written = 0;
    while (!a.received.includes(`* ${stuck.name} left`) && written < 64) {
      a.socket.write(burst);
      written++;
      await sleep(20);
    }
    await a.waitFor(`* ${stuck.name} left (1 online, not reading; disconnected)\n`, 5000);
    assert.equal(server.clientCount(), 1);
    a.socket.destroy();
    stuck.socket.destroy();
  });
});

test('invalid UTF-8 and terminal control characters are refused with a message', async () => {
  await withServer({}, async (server) => {
    const sender = await Peer.open(server.port);
    const other = await Peer.open(server.port);
    await sender.waitFor(`${other.name} joined`);

    sender.socket.write(Buffer.from([0x48, 0x69, 0xff, 0x0a]));
    await sender.waitFor('* message not delivered: it is not valid UTF-8 (byte 0xff at offset 2); send UTF-8 text\n');
    sender.socket.write(Buffer.from([0x2f, 0xc0, 0xaf, 0x0a])); // overlong "/"
    await sender.waitFor('(byte 0xc0 at offset 1)');
    sender.socket.write(Buffer.from([0xed, 0xa0, 0x80, 0x0a])); // a UTF-16 surrogate
    await sender.waitFor('(byte 0xed at offset 0)');
    sender.socket.write('red \x1b[31malert\n');
    await sender.waitFor('* message not delivered: it contains the control character U+001B at character 4\n');

    sender.socket.write('Grüezi 👋\n');
    await other.waitFor(`${sender.name}: Grüezi 👋\n`);
    assert.ok(!other.received.includes('Hi'));
    assert.ok(!other.received.includes('alert'));
    sender.socket.destroy();
    other.socket.destroy();
  });
});

test('firstInvalidUtf8Offset agrees with Node on random and edge-case bytes', () => {
  const cases = [
    Buffer.from('plain'),
    Buffer.from('ü€𝄞'),
    Buffer.from([0xf4, 0x8f, 0xbf, 0xbf]), // U+10FFFF
    Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
    Buffer.from([0xe0, 0x80, 0x80]),
    Buffer.from([0xc2]),
    Buffer.from([0xf0, 0x9f, 0x91]),
  ];
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  for (let i = 0; i < 20000; i++) {
    const len = rand() % 8;
    const b = Buffer.alloc(len);
    for (let k = 0; k < len; k++) b[k] = rand() % 4 === 0 ? rand() & 0xff : [0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x80, 0xbf][rand() % 10];
    cases.push(b);
  }
  for (const b of cases) {
    const off = firstInvalidUtf8Offset(b);
    assert.equal(off === -1, isUtf8(b), b.toString('hex'));
    if (off >= 0) assert.ok(isUtf8(b.subarray(0, off)), `prefix before ${off} of ${b.toString('hex')} is valid`);
  }
});

test('runChatClient sends each line as the bare message bytes, prints what arrives, an empty line closes', async () => {
  // A raw listener first: what exactly goes on the wire
  const chunks: Buffer[] = [];
  let sawFin = false;
  const raw = createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      sawFin = true;
      s.end('* bye\n');
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const rawPort = (raw.address() as { port: number }).port;
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (c: Buffer) => (printed += c.toString()));
  const done = runChatClient({ host: '127.0.0.1', port: rawPort, input, output });
  input.write('Hey\n');
  const t0 = Date.now();
  while (chunks.length === 0 && Date.now() - t0 < 2000) await sleep(5);
  assert.deepEqual(chunks[0], Buffer.from('Hey'), 'one 3-byte write, no newline');
  input.write('\n');
  await done;
  assert.equal(sawFin, true);
  assert.match(printed, /\* connected to 127\.0\.0\.1:\d+/);
  assert.match(printed, /\* closing connection\n/);
  assert.match(printed, /\* bye\n/);
  await new Promise<void>((r) => raw.close(() => r()));

  // Then against the chat server: lines typed quickly still arrive as separate messages.
  await withServer({}, async (server) => {
    const observer = await Peer.open(server.port);
    const input2 = new PassThrough();
    const output2 = new PassThrough();
    let printed2 = '';
    output2.on('data', (c: Buffer) => (printed2 += c.toString()));
    const client = runChatClient({ host: '127.0.0.1', port: server.port, input: input2, output: output2 });
    await observer.waitFor(/\* (127\.0\.0\.1:\d+) joined/);
    const clientName = /\* (127\.0\.0\.1:\d+) joined/.exec(observer.received)![1];
    input2.write('first\nsecond\nthird ✓\n');
    await observer.waitFor(`${clientName}: first\n${clientName}: second\n${clientName}: third ✓\n`);
    observer.socket.write('hello back \x1b[2J\n'); // refused by the server, never printed raw
    observer.socket.write('hello back\n');
    const t1 = Date.now();
    while (!printed2.includes(`${observer.name}: hello back\n`) && Date.now() - t1 < 2000) await sleep(5);
    assert.ok(printed2.includes(`${observer.name}: hello back\n`), printed2);
    assert.ok(!printed2.includes('\x1b'));
    input2.end(); // end of input closes like an empty line
    await client;
    await observer.waitFor(`* ${clientName} left (1 online)\n`);
    observer.socket.destroy();
  });
});

test('runChatClient: the server closing first ends the client, and a refused connection rejects', async () => {
  await withServer({ closeAfterReply: true, replyText: 'Hi' }, async (server) => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (c: Buffer) => (printed += c.toString()));
    const client = runChatClient({ host: '127.0.0.1', port: server.port, input, output });
    input.write('Hey\n');
    await client;
    assert.match(printed, /Hi\n\* the server closed the connection\n/);
  });
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const freePort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(
    runChatClient({ host: '127.0.0.1', port: freePort, input: new PassThrough(), output: new PassThrough() }),
    /cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/,
  );
});

test('lab mode: "Hey", an answer, and the server closes first', async () => {
  await withServer({ closeAfterReply: true }, async (server) => {
    const observer = await Peer.open(server.port);
    const result = await runLabChatExchange({ host: '127.0.0.1', port: server.port, closeDelayMs: 50 });
    assert.deepEqual(result, { reply: 'Hi', serverClosedFirst: true });
    await observer.waitFor(/127\.0\.0\.1:\d+: Hey\n\* 127\.0\.0\.1:\d+ left \(1 online\)\n/);
    observer.socket.destroy();
  });
  // Against a server that never closes, the client closes after waiting and says so.
  await withServer({}, async (server) => {
    const result = await runLabChatExchange({ host: '127.0.0.1', port: server.port, serverCloseTimeoutMs: 200 });
    assert.deepEqual(result, { reply: '', serverClosedFirst: false });
    // and a second server cannot take the same port
    await assert.rejects(startChatServer({ host: '127.0.0.1', port: server.port }), /EADDRINUSE/);
  });
});

test('the lab\'s own Python client talks to the chat server', { skip: have('python3') ? false : 'python3 not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-chat-'));
  const script = join(dir, 'lab_client.py');
  writeFileSync(script, PYTHON_LAB_CLIENT);
  try {
    await withServer({}, async (server) => {
      const observer = await Peer.open(server.port);
      const py = spawn('python3', [script, '127.0.0.1', String(server.port)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONIOENCODING: 'utf-8' } });
      let pyOut = '';
      let pyErr = '';
      py.stdout.on('data', (c: Buffer) => (pyOut += c.toString()));
      py.stderr.on('data', (c: Buffer) => (pyErr += c.toString()));
      const exited = new Promise<number | null>((r) => py.on('close', (code) => r(code)));
      await observer.waitFor(/\* (127\.0\.0\.1:\d+) joined/, 5000);
      const pyName = /\* (127\.0\.0\.1:\d+) joined/.exec(observer.received)![1];
      // typed one line at a time, as a person does: one send() per line, no newline on the wire
      py.stdin.write('Hey\n');
      await observer.waitFor(`${pyName}: Hey\n`);
      py.stdin.write('Grüezi 👋\n');
      await observer.waitFor(`${pyName}: Grüezi 👋\n`);
      observer.socket.write('hello python\n');
      const t0 = Date.now();
      while (!pyOut.includes(`${observer.name}: hello python`) && Date.now() - t0 < 3000) await sleep(10);
      assert.ok(pyOut.includes(`${observer.name}: hello python`), pyOut + pyErr);
      py.stdin.write('\n');
      assert.equal(await exited, 0, pyErr);
      assert.match(pyOut, /Closing connection\.\.\./);
      await observer.waitFor(`* ${pyName} left (1 online)\n`);
      observer.socket.destroy();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const canCapture = isRoot && have('tcpdump') && have('tshark');

test('lab mode on the wire: handshake, "Hey" as a 3-byte PSH/ACK, server FIN first, four-way teardown', { skip: canCapture ? false : 'needs root, tcpdump and tshark' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-chat-cap-'));
  const pcap = join(dir, 'lab.pcap');
  try {
    await withServer({ closeAfterReply: true }, async (server) => {
      const dump = await startTcpdump(pcap, `tcp port ${server.port}`);
      await runLabChatExchange({ host: '127.0.0.1', port: server.port });
      await dump.stop();
      const fields = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.flags.str', '-e', 'tcp.seq', '-e', 'tcp.ack', '-e', 'tcp.len', '-e', 'tcp.payload'], { encoding: 'utf8' });
      assert.equal(fields.status, 0, fields.stderr);
      const sp = String(server.port);
      const rows = fields.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [src, flags, seq, ack, len, payload] = line.split('\t');
          const names = flags.replace(/[^A-Z]/g, '');
          return `${src === sp ? 'S' : 'C'} ${names} seq=${seq} ack=${ack} len=${len}${payload ? ' ' + Buffer.from(payload.replace(/:/g, ''), 'hex').toString() : ''}`;
        });
      // tcp.flags.str spells flags as "·······A·P··" etc.; letters kept are A(CK) P(SH) S(YN) F(IN) in Wireshark's order
      assert.deepEqual(rows, [
        'C S seq=0 ack=0 len=0',
        'S AS seq=0 ack=1 len=0',
        'C A seq=1 ack=1 len=0',
        'C AP seq=1 ack=1 len=3 Hey',
        'S A seq=1 ack=4 len=0',
        'S AP seq=1 ack=4 len=3 Hi\n',
        'C A seq=4 ack=4 len=0',
        'S AF seq=4 ack=4 len=0',
        'C A seq=4 ack=5 len=0',
        'C AF seq=4 ack=5 len=0',
        'S A seq=5 ack=5 len=0',
      ]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bidi overrides and zero-width characters are neither relayed nor printed raw', async () => {
  await withServer({}, async (server) => {
    const sender = await Peer.open(server.port);
    const other = await Peer.open(server.port);
    await sender.waitFor(`${other.name} joined`);
    // "pay\u200bpal" looks like "paypal"; "\u202e" turns "gnp.exe" into "exe.png" on screen.
    for (const [text, cp, at] of [['pay\u200bpal', 'U+200B', 3], ['photo\u202egnp.exe', 'U+202E', 5], ['\u2066isolate\u2069', 'U+2066', 0], ['bom\ufeff', 'U+FEFF', 3], ['tag \u{e0041}', 'U+E0041', 4]] as const) {
      sender.socket.write(`${text}\n`);
      await sender.waitFor(`* message not delivered: it contains the invisible format character ${cp} at character ${at}\n`);
    }
    sender.socket.write('plain again\n');
    await other.waitFor(`${sender.name}: plain again\n`);
    assert.doesNotMatch(other.received, /\p{Cf}/u);
    sender.socket.destroy();
    other.socket.destroy();
  });

  // The client escapes what a server sends, whoever runs that server.
  const hostile = createServer((s) => s.end('mallory: pay\u200bpal \u202eevil \u001b]0;title\u0007 ok\nsecond line\n'));
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  const port = (hostile.address() as { port: number }).port;
  const output = new PassThrough();
  let printed = '';
  output.on('data', (c: Buffer) => (printed += c.toString()));
  await runChatClient({ host: '127.0.0.1', port, input: new PassThrough(), output });
  await new Promise<void>((r) => hostile.close(() => r()));
  assert.ok(printed.includes('mallory: pay\\u200bpal \\u202eevil \\x1b]0;title\\x07 ok\nsecond line\n'), printed);
  assert.doesNotMatch(printed, /[\p{Cf}\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u);
});
