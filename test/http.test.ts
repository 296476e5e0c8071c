// Plain HTTP/1.x as tshark reads it. On the corpus: every frame of the captures that carry HTTP
// agrees with tshark 4.0 in the Protocol and Info columns and in the http.* fields tcpwatch
// registers. For real: nginx (Debian's) answers curl and wget on loopback — keep-alive, a POST body,
// a chunked gzip response, a 301 and a 404, a body over several segments, HEAD — tcpdump records it,
// and tshark run on the same file is the reference, frame by frame and for display filters.
// Then bytes nobody sends on purpose: the framing never throws, never hangs, and stays bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusDir, REPO_ROOT } from './helpers/corpus';
import { startTcpdump } from './helpers/tcpdump';
import { have, isRoot } from './helpers/system';
import { httpPduLength } from '../src/protocols/http/message';
import { freePort, stopProcess, untilAccepting } from './helpers/loopback';
import { NGINX, startNginx } from './helpers/nginx';

const CLI = join(REPO_ROOT, 'bin', 'tcpwatch.js');
const required = process.env.TCPWATCH_REQUIRE_CORPUS === '1';

/** The http.* fields compared with tshark, besides the columns. */
const FIELDS = [
  'frame.number', '_ws.col.Protocol', '_ws.col.Info', 'http.request.method', 'http.request.uri', 'http.request.version',
  'http.host', 'http.user_agent', 'http.accept', 'http.response.version', 'http.response.code', 'http.response.phrase',
  'http.content_type', 'http.content_length_header', 'http.content_length', 'http.server', 'http.location',
  'http.connection', 'http.transfer_encoding', 'http.request_in', 'http.time', 'http.request.full_uri', 'http.response_for.uri',
  'http.request_number', 'http.response_number', 'http.prev_request_in', 'http.prev_response_in',
];

function fieldArgs(): string[] {
  return FIELDS.flatMap((f) => ['-e', f]);
}

function ours(file: string, extra: string[] = []): string[] {
  return execFileSync('node', [CLI, '-r', file, '-T', 'fields', ...fieldArgs(), ...extra], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
}

function theirs(file: string, extra: string[] = []): string[] {
  return execFileSync('tshark', ['-n', '-r', file, '-T', 'fields', ...fieldArgs(), ...extra], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
}

/** Frame by frame, field by field: the differences, as readable lines. */
function differences(file: string): string[] {
  const a = ours(file), b = theirs(file);
  const out: string[] = [];
  if (a.length !== b.length) out.push(`${file}: ${a.length} lines, tshark ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    const x = a[i].split('\t'), y = b[i].split('\t');
    // The columns of frames HTTP has no part in belong to other protocols' tests.
    const httpRow = /^HTTP/.test(x[1] ?? '') || /^HTTP/.test(y[1] ?? '') || /reassembled PDU/.test((x[2] ?? '') + (y[2] ?? ''));
    for (let k = 0; k < FIELDS.length; k++) {
      if (k <= 2 && !httpRow && k > 0) continue;
      if (y[1] === 'SSDP') continue; // HTTP over UDP: the SSDP protocol's, not HTTP over TCP's
      if ((x[k] ?? '') !== (y[k] ?? '')) out.push(`${file} frame ${y[0]}: ${FIELDS[k]} = ${JSON.stringify(x[k])}, tshark ${JSON.stringify(y[k])}`);
    }
  }
  return out;
}

function framesMatching(file: string, filter: string, tool: 'ours' | 'tshark'): string {
  const args = ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'];
  if (tool === 'ours') return execFileSync('node', [CLI, ...args], { encoding: 'utf8' });
  return execFileSync('tshark', ['-n', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

const CORPUS_HTTP = [
  'valid/ja4/http1-with-cookies.pcapng', 'valid/ja4/CVE-2018-6794.pcap', 'valid/ja4/https-connect.pcap',
  'valid/ja4/latest.pcapng', 'valid/tcpdump/ipv4_tcp_http_xml.pcap', 'valid/tcpdump/ipv4_tcp_http_xml_tso.pcap',
  'valid/tcpdump/accecn_handshake.pcap', 'valid/tcpdump/print-flags.pcap',
];

test('HTTP on the corpus: columns and http.* fields agree with tshark on every frame', { skip: !have('tshark') && !required && 'tshark not installed' }, () => {
  const corpus = corpusDir();
  if (corpus === null) return;
  const diffs: string[] = [];
  let messages = 0;
  for (const rel of CORPUS_HTTP) {
    const file = join(corpus, rel);
    diffs.push(...differences(file));
    messages += ours(file).filter((l) => /\tHTTP(\/XML)?\t/.test(l)).length;
  }
  assert.ok(messages >= 16, `the corpus captures hold HTTP messages (${messages})`);
  assert.deepEqual(diffs, []);
});

const canRecord = isRoot && have('tcpdump') && have('tshark') && have('curl') && have('wget') && existsSync(NGINX);

test('nginx answering curl and wget on loopback reads as tshark reads it', { skip: !canRecord && !required && 'needs root, tcpdump, tshark, curl, wget and nginx' }, async () => {
  assert.ok(canRecord, 'root, tcpdump, tshark, curl, wget and nginx (scripts/setup.sh installs them)');
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-http-'));
  const port = await freePort();
  const www = join(dir, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), '<html><body>tcpwatch</body></html>\n');
  writeFileSync(join(www, 'notes.txt'), 'plain text '.repeat(400));
  // A body over several loopback segments (lo's MTU is 64 KiB).
  writeFileSync(join(www, 'big.bin'), Buffer.alloc(200_000, 0x61));
  const nginx = startNginx(dir, {
    port, root: www,
    types: { html: 'text/html', txt: 'text/plain', bin: 'application/octet-stream' },
    directives: [
      'gzip on; gzip_types text/plain; gzip_min_length 1;',
      'location = /old { return 301 /index.html; }',
      'location = /form { return 200 "posted\\n"; }',
    ],
  });
  const pcap = join(dir, 'http.pcap');
  try {
    assert.ok(await untilAccepting(port), `nginx listens: ${nginx.errors()}`);
    const td = await startTcpdump(pcap, `tcp port ${port}`);
    const base = `http://127.0.0.1:${port}`;
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { timeout: 15_000, encoding: 'utf8' });
      assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    };
    // keep-alive: three requests on one connection, one of them a 404
    run('curl', ['-s', '-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null', `${base}/index.html`, `${base}/missing`, `${base}/old`]);
    run('curl', ['-s', '-o', '/dev/null', '--compressed', `${base}/notes.txt`]); // chunked gzip
    run('curl', ['-s', '-o', '/dev/null', '-d', 'name=tcpwatch&lab=1', `${base}/form`]); // POST body
    run('curl', ['-s', '-o', '/dev/null', '-I', `${base}/index.html`]); // HEAD
    run('curl', ['-s', '-o', '/dev/null', `${base}/big.bin`]); // a body over several segments
    run('wget', ['-q', '-O', '/dev/null', `${base}/index.html`]);
    assert.equal(await td.stop(300), 0, 'tcpdump dropped nothing');

    const diffs = differences(pcap);
    assert.deepEqual(diffs, []);
    const rows = ours(pcap);
    const count = (re: RegExp) => rows.filter((l) => re.test(l)).length;
    assert.equal(count(/\tHTTP\tGET \/index\.html HTTP\/1\.1 /), 2, 'two GETs of index.html (curl, wget)');
    assert.equal(count(/\tHTTP\tHTTP\/1\.1 404 Not Found/), 1);
    assert.equal(count(/\tHTTP\tHTTP\/1\.1 301 Moved Permanently/), 1);
    assert.equal(count(/\tHTTP\tPOST \/form HTTP\/1\.1 /), 1);
    assert.equal(count(/\tHTTP\tHEAD \/index\.html HTTP\/1\.1 /), 1);
    assert.ok(count(/\[TCP segment of a reassembled PDU\]/) >= 1, 'the big body spans segments');
    for (const f of ['http', 'http.request', 'http.response.code >= 400', 'http.request.method == "POST"', 'http.host contains "127.0.0.1"', '!http && tcp.len > 0']) {
      assert.equal(framesMatching(pcap, f, 'ours'), framesMatching(pcap, f, 'tshark'), `-Y '${f}' matches tshark's frames`);
    }
  } finally {
    await stopProcess(nginx.proc);
    if (process.env.TCPWATCH_KEEP_HTTP_CAPTURE === undefined) rmSync(dir, { recursive: true, force: true });
  }
});

test('HTTP framing of bytes nobody sends on purpose: bounded answers, never a throw', () => {
  const q = (s: string | Buffer) => { const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s; return httpPduLength(b, 0, b.length); };
  assert.equal(q('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), 27);
  assert.equal(q('POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab'), 43, 'a length past the bytes there');
  assert.ok(q('GET / HTTP/1.1\r\nHost:') < 0, 'headers incomplete: wait');
  assert.equal(q('\x16\x03\x01\x00\x10hello'), 0, 'TLS is not HTTP');
  assert.equal(q('HTTP/1.1 200 OK\r\n\r\nbody'), -0x7fffffff, 'no length: to the close');
  assert.equal(q('HTTP/1.1 204 No Content\r\n\r\n'), 27);
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  assert.equal(q(chunked + '3\r\nabc\r\n0\r\n\r\n'), chunked.length + 13);
  assert.ok(q(chunked + '3\r\nab') < 0, 'chunk incomplete: wait');
  assert.equal(q(chunked + 'zz\r\n'), chunked.length, 'a bad chunk size ends the message at its headers');
  assert.equal(q(chunked + 'fffffffff\r\n'), chunked.length, 'a chunk size past 32 bits is refused');
  // A header block that never ends is not HTTP past 64 KiB: the question is answered, not left open.
  assert.equal(q('GET / HTTP/1.1\r\n' + 'X: y\r\n'.repeat(20000)), 0);
  // Thousands of one-byte chunks: bounded, and answered quickly.
  const many = chunked + '1\r\na\r\n'.repeat(5000) + '0\r\n\r\n';
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) assert.equal(q(many), 0 + chunked.length, 'more chunks than MAX_CHUNKS: headers alone');
  assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 2000, 'a hundred questions over 5000 chunks take under 2 s');
  // Random bytes after a request line: every prefix gets an answer in range.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  for (let n = 0; n < 2000; n++) {
    const tail = Buffer.alloc(64, 0).map(() => rnd());
    const b = Buffer.concat([Buffer.from(n % 2 ? 'HTTP/1.1 200 OK\r\n' : 'GET /x HTTP/1.1\r\n'), tail]);
    for (let e = 0; e <= b.length; e += 7) {
      const r = httpPduLength(b, 0, e);
      assert.ok(Number.isInteger(r), 'an integer answer');
    }
  }
});

test('the PDU framing under hostile streams: budget-bounded, linear in the segments, every piece marked', async () => {
  const { Builder, seg, A, P, S } = await import('./helpers/tcp-scenarios');
  const { Pipeline } = await import('../src/pipeline');
  const { CapturedFrame } = await import('../src/capture/frame');
  const { TcpPduFraming } = await import('../src/analysis/pdu-framing');
  const { infoColumn, protocolColumn } = await import('../src/output/summary');
  await import('../src/packet-modules');
  const framing = new TcpPduFraming(4 * 1024 * 1024);
  let pieces = 0, http = 0, frames = 0;
  const p = new Pipeline({
    sink: { frame: (d) => { frames++; if (/reassembled PDU/.test(infoColumn(d))) pieces++; if (protocolColumn(d) === 'HTTP') http++; }, end: () => {} },
    analyzers: [framing],
  });
  const f = new CapturedFrame();
  const chunk = Buffer.alloc(16000, 0x61);
  const t0 = process.hrtime.bigint();
  // 200 connections on port 80, each a response without a length (to the close) of 64 KB that never
  // closes, and one response that names a 2^40-byte body: none may hold more than the budget.
  for (let c = 0; c < 200; c++) {
    const b = new Builder(false, 40000 + c, 80);
    b.seg(seg(0.001, 'C', 0, 0, S, 65535, 0)).seg(seg(0.001, 'S', 0, 1, S | A, 65535, 0)).seg(seg(0.001, 'C', 1, 1, A, 65535, 0));
    const head = Buffer.from(c === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n' : 'HTTP/1.1 200 OK\r\nServer: x\r\n\r\n');
    b.seg({ ...seg(0.001, 'S', 1, 1, P | A, 65535, head.length), data: head });
    let seq = 1 + head.length;
    for (let k = 0; k < 4; k++) {
      b.seg({ ...seg(0.001, 'S', seq, 1, A, 65535, chunk.length), data: chunk });
      seq += chunk.length;
    }
    for (const fr of b.frames) p.handle(f.wrap(fr.bytes, 1));
    assert.ok(framing.pool.inUse <= 4 * 1024 * 1024, `the framing holds ${framing.pool.inUse} bytes`);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(frames, 200 * 8);
  assert.equal(http, 0, 'no response completed');
  assert.equal(pieces, 200 * 5, 'every payload frame reads as a piece of a reassembled PDU');
  assert.ok(framing.stats.bytesDropped > 0, 'past the budget, collected bytes are given up and counted');
  assert.ok(ms < 5000, `1,600 frames in ${ms.toFixed(0)} ms`);
});

test('a snapshot length that cuts HTTP: truncated, not reassembled, as tshark marks it', { skip: !(have('tshark') && have('editcap')) && !required && 'needs tshark and editcap' }, () => {
  const corpus = corpusDir();
  if (corpus === null) return;
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-http-cut-'));
  try {
    for (const [rel, snap] of [['valid/ja4/http1-with-cookies.pcapng', 120], ['valid/ja4/CVE-2018-6794.pcap', 80], ['valid/ja4/latest.pcapng', 100]] as const) {
      const cut = join(dir, `cut-${snap}.pcapng`);
      execFileSync('editcap', ['-s', String(snap), join(corpus, rel), cut], { stdio: 'ignore' });
      const args = ['-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info', '-Y', 'tcp.port == 80 || tcp.port == 8000 || tcp.port == 8089'];
      const ours = execFileSync('node', [CLI, '-r', cut, ...args], { encoding: 'utf8' });
      const theirs = execFileSync('tshark', ['-n', '-r', cut, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      assert.equal(ours, theirs, `${rel} cut at ${snap} bytes`);
      assert.match(ours, /\[Packet size limited during capture\]/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
