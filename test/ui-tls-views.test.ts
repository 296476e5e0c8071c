// Decrypted TLS as the UI shows it, in a real terminal (tmux), on samples/lab.pcapng: it carries
// its own key log (a Decryption Secrets Block), so tcpwatch and tshark both read its HTTPS
// exchanges in plaintext. tshark 4.0 runs on the same file in each test and says what the list,
// the decrypted-bytes tab and Follow must show; a copy without the key log checks that K loads one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './helpers/corpus';
import { freePort, selfSignedCert, untilAccepting } from './helpers/loopback';
import { Tmux, haveTmux, highlightedBytes, plain } from './helpers/tmux';

const ROOT = path.join(__dirname, '..', '..');
const LAB = path.join(ROOT, 'samples', 'lab.pcapng');
const KEYLOG = path.join(ROOT, 'samples', 'lab.keylog');
const haveTshark = spawnSync('tshark', ['-v']).status === 0;
const skip = !haveTmux() ? 'tmux is not installed' : !haveTshark ? 'tshark is not installed' : false;

function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
}

/** tshark's Protocol and Info columns, one [protocol, info] per frame. */
function columns(file: string): [string, string][] {
  return tshark(['-r', file, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'])
    .split('\n').filter((l) => l !== '').map((l) => l.split('\t') as [string, string]);
}

/** The list rows on screen: number → [protocol, info] (Info as far as the column shows it). */
function listRows(screen: string): Map<number, [string, string]> {
  const out = new Map<number, [string, string]>();
  for (const l of screen.split('\n')) {
    // No. Time Source Destination Protocol Length Info; Info is cut with an ellipsis at the edge.
    // The gutter holds ▶ on the selected row, ● on a marked one; a time reference's time reads *REF*.
    const m = /^[▶● ]\s+(\d+) (?:\d+\.\d+|\*REF\*)\s+\S+\s+\S+\s+(\S+)\s+\d+ (.*?)\s*$/.exec(l);
    if (m) out.set(Number(m[1]), [m[2], m[3]]);
  }
  return out;
}

/** Info as shown: the whole of tshark's, or a prefix of it ending in an ellipsis when the column is too narrow. */
function sameInfo(shown: string, expected: string): boolean {
  const want = expected.trim();
  if (shown.endsWith('\u2026')) return want.startsWith(shown.slice(0, -1));
  return shown === want;
}

/** The data sources tshark -x prints for one frame: name → bytes. */
function dataSources(file: string, frame: number): { name: string; bytes: Buffer }[] {
  const out: { name: string; bytes: Buffer }[] = [];
  for (const l of tshark(['-r', file, '-x', '-Y', `frame.number == ${frame}`]).split('\n')) {
    const head = /^(.+) \((\d+) bytes\):$/.exec(l);
    if (head) {
      out.push({ name: head[1], bytes: Buffer.alloc(0) });
      continue;
    }
    const m = /^[0-9a-f]{4}  ((?:[0-9a-f]{2} ){1,16})/.exec(l);
    if (m === null) continue;
    if (out.length === 0) out.push({ name: 'Frame', bytes: Buffer.alloc(0) });
    const last = out[out.length - 1];
    last.bytes = Buffer.concat([last.bytes, Buffer.from(m[1].replace(/ /g, ''), 'hex')]);
  }
  return out;
}

/** The bytes the hex pane shows (offset, hex columns), from the screen. */
function hexPaneBytes(screen: string): Buffer {
  const parts: Buffer[] = [];
  for (const l of screen.split('\n')) {
    const m = /^([0-9a-f]{4})  ((?:[0-9a-f]{2} ){1,16})/.exec(plain(l));
    if (m) parts.push(Buffer.from(m[2].replace(/ /g, ''), 'hex'));
  }
  return Buffer.concat(parts);
}

/** tshark's -z follow,tls,raw,STREAM: the decrypted bytes each endpoint sent, by "address:port". */
function followTls(file: string, stream: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let first = '';
  for (const l of tshark(['-r', file, '-q', '-z', `follow,tls,raw,${stream}`]).split('\n')) {
    const node = /^Node 0: (\S+)$/.exec(l);
    if (node) first = node[1];
    // Raw follow lines: node 0's data flush left, the other node's after a tab.
    const m = /^(\t?)([0-9a-f]+)$/.exec(l);
    if (m === null) continue;
    const who = m[1] === '' ? first : 'other';
    out.set(who, Buffer.concat([out.get(who) ?? Buffer.alloc(0), Buffer.from(m[2], 'hex')]));
  }
  return out;
}

async function selectDetail(t: Tmux, re: RegExp, max = 120, key = 'j'): Promise<string> {
  for (let k = 0; k < max; k++) {
    const s = t.screen();
    if (s.split('\n').some((l) => l.startsWith('▶') && re.test(l))) return s;
    t.keys(key);
    await t.waitFor((x) => x !== s, 'the cursor to move', 500).catch(() => s);
  }
  throw new Error(`no details line matching ${re}; screen:\n${t.screen()}`);
}

function withTmux(args: string[], fn: (t: Tmux) => Promise<void>): Promise<void> {
  const t = Tmux.start(args, {}, 160, 50);
  return fn(t).finally(() => t.kill());
}

test('lab.pcapng: HTTP rows as tshark shows them, the request\'s headers, its decrypted bytes in a tab of their own, Follow in plaintext', { skip, timeout: 60000 }, () =>
  withTmux(['-r', LAB], async (t) => {
    const want = columns(LAB);
    let s = await t.waitForText(`shown ${want.length} / ${want.length}`);
    // Frames 19 and 20 are an HTTPS request and its response: HTTP rows, as tshark reads them with the file's key log.
    assert.equal(want[18][0], 'HTTP');
    assert.equal(want[19][0], 'HTTP');
    let rows = listRows(s);
    assert.ok(rows.size >= 20, `rows on screen: ${rows.size}`);
    for (const [n, [proto, info]] of rows) {
      assert.equal(proto, want[n - 1][0], `Protocol of frame ${n}`);
      assert.ok(sameInfo(info, want[n - 1][1]), `Info of frame ${n}: "${info}", tshark "${want[n - 1][1]}"`);
    }
    assert.equal(rows.get(19)![1], 'GET / HTTP/1.1');
    assert.equal(rows.get(20)![1], 'HTTP/1.1 200 OK  (text/html)');
    // the rows further down (the second connection's 404) agree too
    t.keys('G');
    s = await t.waitForText(`Packet details — frame ${want.length}`);
    rows = listRows(s);
    assert.ok(rows.has(want.length));
    for (const [n, [proto, info]] of rows) {
      assert.equal(proto, want[n - 1][0], `Protocol of frame ${n}`);
      assert.ok(sameInfo(info, want[n - 1][1]), `Info of frame ${n}: "${info}", tshark "${want[n - 1][1]}"`);
    }

    // The request's details: HTTP is open, its header lines as tshark -V writes them.
    t.keys(':');
    await t.waitForText('Go to packet:');
    t.keys('1', '9', 'Enter');
    await t.waitForText('Packet details — frame 19');
    const verbose = tshark(['-r', LAB, '-V', '-Y', 'frame.number == 19']);
    const httpLines = verbose.slice(verbose.indexOf('\nHypertext Transfer Protocol\n') + 1).split('\n').filter((l) => /^ {4}\S/.test(l)).map((l) => l.trim());
    assert.deepEqual(httpLines.slice(0, 4), ['GET / HTTP/1.1\\r\\n', 'host: localhost\\r\\n', 'connection: close\\r\\n', '\\r\\n']);
    t.keys('Tab', 'G');
    s = await t.waitForText('Hypertext Transfer Protocol');
    for (const l of httpLines) assert.ok(s.includes(l), `details show "${l}"`);

    // The bytes pane's tabs: the frame, and the decrypted records, byte for byte what tshark -x calls Decrypted TLS.
    const sources = dataSources(LAB, 19);
    const decrypted = Buffer.concat(sources.filter((x) => x.name === 'Decrypted TLS').map((x) => x.bytes));
    assert.ok(decrypted.length > 0);
    assert.match(s, new RegExp(`\\[Frame \\(${sources[0].bytes.length} bytes\\)\\]  Decrypted TLS \\(${decrypted.length} bytes\\)`));
    t.keys('b');
    s = await t.waitForText(`[Decrypted TLS (${decrypted.length} bytes)]`);
    assert.ok(hexPaneBytes(s).equals(decrypted), 'the tab shows the decrypted records\' bytes');
    assert.match(s, /GET \/ HTTP\/1/);
    t.keys('b');
    s = await t.waitForText(`[Frame (${sources[0].bytes.length} bytes)]`);
    assert.ok(hexPaneBytes(s).equals(sources[0].bytes.subarray(0, hexPaneBytes(s).length)), 'back to the frame\'s bytes');
    // Selecting a header brings the decrypted tab forward with exactly that header's bytes highlighted.
    await selectDetail(t, /host: localhost\\r\\n/, 20, 'k');
    const e = await t.waitFor((x) => highlightedBytes(x).length > 0, 'the header highlighted', 4000, true);
    assert.match(plain(e), /\[Decrypted TLS \(\d+ bytes\)\]/);
    const at = decrypted.indexOf('host: localhost\r\n');
    const len = 'host: localhost\r\n'.length;
    assert.deepEqual(highlightedBytes(e), Array.from({ length: len }, (_, k) => at + k));

    // Follow: the TLS stream in plaintext, each side's bytes as tshark's follow,tls counts them.
    const f = followTls(LAB, 1);
    // tshark names the server (8443) as node 0 of this stream; the client is the other.
    const server = f.get('127.0.0.1:8443')!, client = f.get('other')!;
    assert.ok(client.length > 0 && server.length > 0, `follow,tls nodes: ${[...f.keys()].join(', ')}`);
    t.keys('F');
    s = await t.waitForText('Follow TLS stream 1');
    assert.match(s, new RegExp(`client 127\\.0\\.0\\.1:\\d+ → ${client.length} bytes\\s+server 127\\.0\\.0\\.1:8443 → ${server.length} bytes`));
    for (const line of [...client.toString('latin1').split('\r\n').slice(0, 3), ...server.toString('latin1').split(/\r?\n/).slice(0, 12)]) {
      if (line.trim() !== '') assert.ok(s.includes(line), `Follow shows "${line}"`);
    }
    // m: the HTTP messages, then the same stream as on the wire (TLS records, encrypted), and back.
    t.keys('m');
    await t.waitForText('Follow HTTP stream 1');
    t.keys('m');
    s = await t.waitForText('Follow TCP stream 1');
    assert.match(s, /TLS records are shown as they are on the wire/);
    assert.doesNotMatch(s, /GET \/ HTTP\/1\.1/);
    t.keys('m');
    await t.waitForText('Follow TLS stream 1');
    t.keys('q');
    await t.waitForText('Display filter:');
  }));

test('K loads a key log into a UI started without one: the same rows turn into HTTP, as tshark reads them with it', { skip, timeout: 60000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-keylog-'));
  // The lab capture without its Decryption Secrets Block: a pcap copy (pcap has no place for keys).
  const bare = path.join(dir, 'lab-without-keys.pcap');
  execFileSync(process.execPath, [CLI, '-r', LAB, '--no-ui', '-w', bare], { stdio: 'ignore' });
  const before = columns(bare);
  const after = tshark(['-r', bare, '-o', `tls.keylog_file:${KEYLOG}`, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'])
    .split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
  assert.match(before[18][0], /^TLSv1\.3$/);
  assert.equal(after[18][0], 'HTTP');
  return withTmux(['-r', bare], async (t) => {
    let s = await t.waitForText(`shown ${before.length} / ${before.length}`);
    let rows = listRows(s);
    for (const n of [19, 20]) {
      assert.equal(rows.get(n)![0], before[n - 1][0]);
      assert.ok(sameInfo(rows.get(n)![1], before[n - 1][1]), `frame ${n} before: ${rows.get(n)![1]}`);
    }
    // A key log that is not there is said, and nothing else changes.
    t.keys('K');
    await t.waitForText('Key log file:');
    t.literal(path.join(dir, 'missing.keylog'));
    t.keys('Enter');
    await t.waitForText('key log not loaded (ENOENT)');
    t.keys(':');
    await t.waitForText('Go to packet:');
    t.keys('2', '0', 'Enter');
    await t.waitForText('Packet details — frame 20');
    // What the user did to the packets stays through the reread: a mark, a time reference, the time format.
    t.keys('m', 't');
    await t.waitForText('frame 20 is a time reference');
    t.keys('T');
    await t.waitForText('time: absolute');
    t.keys('K');
    await t.waitForText('Key log file:');
    t.literal(KEYLOG);
    t.keys('Enter');
    s = await t.waitFor((x) => /key log: /.test(x) && /shown \d+ \/ \d+/.test(x) && /Packet details — frame 20/.test(x), 'the capture read again with the key log');
    assert.match(s, /marked 1/, 'the mark is kept');
    assert.match(s, /time: absolute/, 'and the time format');
    t.keys('T', 'T', 'T');
    s = await t.waitForText('time: relative');
    assert.match(s, /▶\s+20\s+\*REF\*/, 'and the time reference');
    rows = listRows(s);
    for (const [n, [proto, info]] of rows) {
      assert.equal(proto, after[n - 1][0], `Protocol of frame ${n} with the key log`);
      assert.ok(sameInfo(info, after[n - 1][1]), `Info of frame ${n}: "${info}", tshark "${after[n - 1][1]}"`);
    }
    assert.equal(rows.get(19)![0], 'HTTP');
    assert.match(s, /▶\s+20 /, 'the selected packet stays selected');
    t.keys('F');
    s = await t.waitForText('Follow TLS stream 1');
    assert.match(s, /HTTP\/1\.1 200 OK/);
  }).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
});

/** tshark's -z follow,PROTO,MODE,STREAM of the lab capture: its data lines, each with the side it is of (a tab: node 1). */
function followData(proto: string, mode: 'hex' | 'raw', stream: number): { node1: boolean; text: string }[] {
  const out = tshark(['-r', LAB, '-q', '-z', `follow,${proto},${mode},${stream}`]);
  const re = mode === 'hex' ? /^(\t?)([0-9A-F]{8}  .*)$/ : /^(\t?)([0-9a-f]+)$/;
  return out.split('\n').map((l) => re.exec(l)).filter((m) => m !== null).map((m) => ({ node1: m![1] === '\t', text: m![2] }));
}

test('Follow on lab.pcapng with its key log: m cycles TLS, HTTP and TCP, a shows hex and raw as tshark\'s follow does, Ctrl-S saves what is shown', { skip, timeout: 60000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-follow-view-'));
  const want = columns(LAB);
  return withTmux(['-r', LAB, '--keylog', KEYLOG], async (t) => {
    await t.waitForText(`shown ${want.length} / ${want.length}`);
    t.keys(':');
    await t.waitForText('Go to packet:');
    t.keys('1', '9', 'Enter');
    await t.waitForText('Packet details — frame 19');
    t.keys('F');
    await t.waitForText('Follow TLS stream 1 (ascii)');

    // HTTP: the request and the response, in the pieces tshark's follow,http hands on (the header
    // block, then the body), each of the size tshark gives it, and their text.
    const pieces = followData('http', 'raw', 1).map((p) => Buffer.from(p.text, 'hex'));
    assert.equal(pieces.length, 3, 'request; response headers and body');
    t.keys('m');
    let s = await t.waitForText('Follow HTTP stream 1 (ascii)');
    const headings = [...s.matchAll(/^── frame (\d+), \S+, (\d+) bytes$/gm)].map((m) => Number(m[2]));
    assert.deepEqual(headings, pieces.map((p) => p.length));
    for (const line of pieces.flatMap((p) => p.toString('latin1').split(/\r?\n/))) {
      if (line.trim() !== '') assert.ok(s.includes(line), `HTTP shows "${line}"`);
    }
    assert.match(s, /^GET \/ HTTP\/1\.1$/m);
    assert.match(s, /^HTTP\/1\.1 200 OK$/m);
    // Saved in ASCII: the pieces' bytes, both sides in order.
    const httpFile = path.join(dir, 'http.txt');
    t.keys('C-s');
    await t.waitForText('Export the payload, both sides, to:');
    t.literal(httpFile);
    t.keys('Enter');
    await t.waitForText(`saved ${Buffer.concat(pieces).length} bytes of tcp.stream 1 (both sides), HTTP as ascii`);
    assert.ok(fs.readFileSync(httpFile).equals(Buffer.concat(pieces)));

    // hex: the lines of tshark's -z follow,tls,hex, each side's offsets counted apart.
    t.keys('m', 'm');
    await t.waitForText('Follow TLS stream 1 (ascii)');
    t.keys('a');
    s = await t.waitForText('Follow TLS stream 1 (hex)');
    const hex = followData('tls', 'hex', 1);
    const shown = s.split('\n').filter((l) => /^[0-9A-F]{8}  /.test(l)).map((l) => l.trimEnd());
    assert.ok(shown.length >= 10, `hex lines on screen: ${shown.length}`);
    assert.deepEqual(shown, hex.slice(0, shown.length).map((h) => h.text.trimEnd()));
    const hexFile = path.join(dir, 'tls.hex');
    t.keys('C-s');
    await t.waitForText('Export the payload, both sides, to:');
    t.literal(hexFile);
    t.keys('Enter');
    await t.waitForText('TLS as hex');
    // the whole stream fits on the screen: the file is what is shown, line for line
    assert.equal(shown.length, hex.length);
    assert.deepEqual(fs.readFileSync(hexFile, 'latin1').split('\n').slice(0, -1).map((l) => l.trimEnd()), shown);

    // raw: one line of hex digits per record (wider than the screen: it shows their start); the
    // server's side saved alone is tshark's node 0 here (TLS 1.3: the server's records decrypt first).
    t.keys('a');
    s = await t.waitForText('Follow TLS stream 1 (raw)');
    const raw = followData('tls', 'raw', 1);
    const rawShown = s.split('\n').filter((l) => /^[0-9a-f]{16,}/.test(l)).map((l) => l.trimEnd());
    assert.equal(rawShown.length, raw.length);
    rawShown.forEach((l, k) => assert.ok(raw[k].text.startsWith(l.replace(/[^0-9a-f]+$/, '')), `raw line ${k}`));
    const rawFile = path.join(dir, 'server.raw');
    t.keys('C-s');
    await t.waitForText('Export the payload, both sides, to:');
    t.keys('Tab', 'Tab');
    await t.waitForText('Export the payload, server bytes, to:');
    t.literal(rawFile);
    t.keys('Enter');
    await t.waitForText('TLS as raw');
    assert.equal(fs.readFileSync(rawFile, 'latin1'), raw.filter((r) => !r.node1).map((r) => r.text + '\n').join(''));
    t.keys('q');
    await t.waitForText('Display filter:');
  }).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
});

const canLive = process.getuid?.() === 0 && spawnSync(process.execPath, [CLI, '-D']).status === 0 && spawnSync('curl', ['--version']).status === 0;

test('K in a live capture: what was captured so far is read again with the key log, row for row as tshark reads the -w file with it', { skip: skip || (canLive ? false : 'needs root, the cap module and curl'), timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-live-keylog-'));
  // the capture runs as the account it gives root up for: it writes -w here and reads the key log
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'live.pcap');
  const keylog = path.join(dir, 'curl.keys');
  const { cert, key } = selfSignedCert(dir);
  const port = await freePort();
  // openssl s_server answers GET / with an HTML page (-www)
  const server = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, '-www', '-quiet'], { stdio: ['pipe', 'ignore', 'ignore'] }); // s_server ends at its input's EOF
  try {
    await untilAccepting(port);
    await withTmux(['-i', 'lo', '-w', out, 'tcp', 'port', String(port)], async (t) => {
      await t.waitForText('live: lo');
      await new Promise((r) => setTimeout(r, 300)); // the capture is open once the UI shows; give libpcap a moment
      const r = spawnSync('curl', ['-sk', '--http1.1', '--max-time', '5', `https://127.0.0.1:${port}/`, '-o', '/dev/null'], { env: { ...process.env, SSLKEYLOGFILE: keylog } });
      assert.equal(r.status, 0, 'curl fetched the page');
      fs.chmodSync(keylog, 0o644);
      // every packet of the connection, FIN to last ACK
      let s = await t.waitFor((x) => { const m = /shown (\d+) \/ (\d+)/.exec(x); return m !== null && m[1] === m[2] && Number(m[1]) >= 10 && /\[ACK\] Seq=\d+ Ack=\d+ Win=\d+ Len=0/.test(x.split('\n').filter((l) => /^▶/.test(l)).join('')); }, 'the connection captured');
      await new Promise((r) => setTimeout(r, 500));
      s = t.screen();
      const before = listRows(s);
      assert.ok(![...before.values()].some(([proto]) => proto === 'HTTP'), 'no HTTP row without the key log');
      t.keys('K');
      await t.waitForText('Key log file:');
      t.literal(keylog);
      t.keys('Enter');
      s = await t.waitForText('packets read again');
      const rows = listRows(s);
      t.keys('q');
      await t.waitForText('[tcpwatch exited 0]');
      const want = tshark(['-r', out, '-o', `tls.keylog_file:${keylog}`, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'])
        .split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
      assert.ok(want.some(([proto]) => proto === 'HTTP'), 'tshark reads HTTP with the key log');
      assert.ok(rows.size >= want.length - 1, `${rows.size} rows on screen`);
      for (const [n, [proto, info]] of rows) {
        assert.equal(proto, want[n - 1][0], `Protocol of frame ${n} with the key log`);
        assert.ok(sameInfo(info, want[n - 1][1]), `Info of frame ${n}: "${info}", tshark "${want[n - 1][1]}"`);
      }
    });
  } finally {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
