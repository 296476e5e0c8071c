// Decryption inside the real pipeline (TLS dissector, then the decryption stage): handshake types
// and the Info column against tshark 4.0 on the corpus, HTTP/1.1 and HTTP/2 fields from live
// loopback traffic against tshark reading the same capture with the same key log, and the command
// line's handling of key logs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/app/features';
import { Pipeline } from '../src/pipeline';
import { makeAnalyzers, MainOptions } from '../src/hooks';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { getField } from '../src/fields/registry';
import { formatField } from '../src/fields/format';
import type { Dissection } from '../src/decode/dissection';
import { infoColumn } from '../src/output/summary';
import { fetchOverTls, LAB_PAGE_HTML, startTlsServer } from '../src/lab/tls-server';
import { generateSelfSignedCertificate } from '../src/lab/x509';
import { CLI, corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { startTcpdump } from './helpers/tcpdump';
import { have, isRoot } from './helpers/system';

const corpus = corpusDir();
const haveTshark = have('tshark');
const haveTcpdump = have('tcpdump');

function options(keylog: string | undefined, pref: string[] = []): MainOptions {
  return { keylog, pref, field: [], fieldOption: [], promiscuous: true, ui: false };
}

/** Run a capture through the pipeline; per frame, the values of `fields` joined as tshark's -E occurrence=a does. */
function runFields(pcap: string, opts: MainOptions, fields: string[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [n, v] of runValues(pcap, opts, fields)) out.set(n, v.map((x) => x.join(',')));
  return out;
}

/** Run a capture through the pipeline; per frame, every value of each of `fields`. */
function runValues(pcap: string, opts: MainOptions, fields: string[]): Map<number, string[][]> {
  const defs = fields.map((f) => {
    const def = getField(f);
    assert.ok(def, `field ${f}`);
    return def;
  });
  const out = new Map<number, string[][]>();
  const reader = new CaptureFileReader(pcap);
  const sink = {
    frame(d: Dissection) {
      out.set(d.number, defs.map((def) => {
        const n = def.count(d);
        const v: string[] = [];
        for (let i = 0; i < n; i++) v.push(formatField(def, d, i));
        return v;
      }));
    },
    end() {},
  };
  const p = new Pipeline({ sink: sink as never, analyzers: makeAnalyzers(opts, reader) });
  const f = new CapturedFrame();
  try {
    while (reader.next(f)) p.handle(f);
  } finally {
    reader.close();
  }
  return out;
}

/** tshark's reading of the same fields with a key log (tshark 4.0.17 as installed). */
function tsharkFields(pcap: string, keylog: string, fields: string[], extra: string[] = []): Map<number, string[]> {
  const r = spawnSync('tshark', ['-n', '-r', pcap, '-o', `tls.keylog_file:${keylog}`, ...extra, '-T', 'fields', '-E', 'occurrence=a', '-E', 'separator=/t', '-e', 'frame.number', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<number, string[]>();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const c = line.split('\t');
    out.set(Number(c[0]), fields.map((_, i) => c[i + 1] ?? ''));
  }
  return out;
}

test('in the pipeline, decrypted handshake messages are dissected: tls.handshake.type agrees with tshark on all 87 snet captures', { skip: corpus ? false : NO_CORPUS_REASON }, () => {
  const snet = join(corpus!, 'tls-keys', 'snet');
  const expected = join(corpus!, 'expected', 'tls-keys', 'snet');
  let cells = 0, agree = 0;
  const problems: string[] = [];
  for (const f of readdirSync(expected).filter((n) => n.endsWith('.decrypted.tsv'))) {
    const pcap = f.slice(0, -'.decrypted.tsv'.length);
    const stem = pcap.replace(/\.pcap$/, '');
    const keylog = [`${stem}.txt`, `${stem}.keylog`].map((k) => join(snet, k)).find((k) => existsSync(k))!;
    const mine = runFields(join(snet, pcap), options(keylog), ['tls.handshake.type']);
    const lines = readFileSync(join(expected, f), 'utf8').split('\n').filter((l) => l !== '');
    const col = lines[0].split('\t').indexOf('tls.handshake.type');
    for (const line of lines.slice(1)) {
      const c = line.split('\t');
      let theirs = c[col] ?? '';
      let ours = mine.get(Number(c[0]))?.[0] ?? '';
      // tshark 4.0 cannot decrypt ARIA: compare the messages it could read
      if (/ARIA/.test(pcap)) ours = ours.split(',').filter((t) => t !== '20').join(',');
      if (/ARIA/.test(pcap)) theirs = theirs.split(',').filter((t) => t !== '20').join(',');
      cells++;
      if (ours === theirs) agree++;
      else problems.push(`${pcap} frame ${c[0]}: tcpwatch "${ours}" tshark "${theirs}"`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(cells > 2900, `${cells} frames compared`);
});

test('the Info column names decrypted messages as tshark does with the key log', { skip: !corpus ? NO_CORPUS_REASON : !haveTshark ? 'tshark not installed' : false }, () => {
  const keys = join(corpus!, 'tls-keys');
  const cases: [string, string][] = [
    ['illustrated-tls13/capture.pcap', 'illustrated-tls13/keylog.txt'],
    ['illustrated-tls12/capture.pcap', 'illustrated-tls12/keylog.txt'],
    ['snet/tls1.3_keyupdates_aes256.pcap', 'snet/log.txt'],
    ['snet/mTLS1_3_RSA.pcap', 'snet/mTLS1_3_RSA.txt'],
    ['snet/TLS1_ECDHE-RSA-NULL-SHA.pcap', 'snet/TLS1_ECDHE-RSA-NULL-SHA.txt'],
  ];
  const problems: string[] = [];
  for (const [pcap, keylog] of cases) {
    const theirs = tsharkFields(join(keys, pcap), join(keys, keylog), ['_ws.col.Info']);
    const ours = new Map<number, string>();
    const reader = new CaptureFileReader(join(keys, pcap));
    const p = new Pipeline({ sink: { frame: (d: Dissection) => ours.set(d.number, infoColumn(d)), end() {} } as never, analyzers: makeAnalyzers(options(join(keys, keylog)), reader) });
    const f = new CapturedFrame();
    while (reader.next(f)) p.handle(f);
    reader.close();
    for (const [n, [info]] of theirs) {
      if (!/Finished|Encrypted|Application Data|Ticket|Certificate|Key Update|Alert/.test(info + ours.get(n))) continue;
      if (ours.get(n) !== info) problems.push(`${pcap} frame ${n}: tcpwatch "${ours.get(n)}" tshark "${info}"`);
    }
  }
  assert.deepEqual(problems, []);
});

test('command line: a --keylog that cannot be read is a usage error, a missing -o tls.keylog_file or profile key log is not; another session\'s key log changes nothing else', { skip: corpus ? false : NO_CORPUS_REASON }, () => {
  const keys = join(corpus!, 'tls-keys');
  const pcap = join(keys, 'illustrated-tls13', 'capture.pcap');
  const missing = spawnSync(process.execPath, [CLI, '-r', pcap, '--keylog', '/nonexistent/keys.txt'], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, 'tcpwatch: /nonexistent/keys.txt: cannot read key log (no such file)\n');
  const plain = spawnSync(process.execPath, [CLI, '-r', pcap], { encoding: 'utf8' });
  // tshark 4.0 takes -o tls.keylog_file: naming a missing file without a word and reads the capture as without keys
  if (haveTshark) {
    const theirs = spawnSync('tshark', ['-r', pcap, '-o', 'tls.keylog_file:/nonexistent/keys.txt'], { encoding: 'utf8' });
    assert.deepEqual([theirs.status, theirs.stderr.replace(/^Running as user .*\n/, '')], [0, '']);
  }
  // A profile that still names a key log deleted since: one warning (for the profile's, none for the -o), then the capture as without keys
  const home = mkdtempSync(join(tmpdir(), 'tcpwatch-stale-keylog-'));
  try {
    const dir = join(home, 'tcpwatch', 'profiles', 'lab');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'preferences'), 'tls.keylog_file: /nonexistent/old\x1b[31m.txt\n');
    const stale = spawnSync(process.execPath, [CLI, '-r', pcap, '-C', 'lab', '-o', 'tls.keylog_file:/nonexistent/keys.txt'], { encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: home } });
    assert.equal(stale.status, 0, stale.stderr);
    assert.equal(stale.stderr, 'tcpwatch: warning: profile "lab": tls.keylog_file /nonexistent/old\\x1b[31m.txt: cannot read key log (no such file); going on without it\n');
    assert.equal(stale.stdout, plain.stdout);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  const other = spawnSync(process.execPath, [CLI, '-r', pcap, '--keylog', join(keys, 'illustrated-tls12', 'keylog.txt')], { encoding: 'utf8' });
  assert.equal(other.status, 0, other.stderr);
  assert.equal(other.stdout, plain.stdout, 'without this session\'s secrets the output is what it is without a key log');
  const withKeys = spawnSync(process.execPath, [CLI, '-r', pcap, '-o', `tls.keylog_file:${join(keys, 'illustrated-tls13', 'keylog.txt')}`], { encoding: 'utf8' });
  assert.equal(withKeys.status, 0, withKeys.stderr);
  assert.match(withKeys.stdout, /Server Hello, Change Cipher Spec, Encrypted Extensions, Certificate, Certificate Verify, Finished\n/);
  const status = spawnSync(process.execPath, [CLI, '-r', pcap, '--keylog', join(keys, 'illustrated-tls13', 'keylog.txt'), '-T', 'fields', '-e', 'tls.decryption'], { encoding: 'utf8' });
  assert.equal(status.stdout.split('\n').filter((l) => l !== '').join('|'), 'decrypted,decrypted,decrypted,decrypted|decrypted|decrypted|decrypted|decrypted|decrypted');
  const without = spawnSync(process.execPath, [CLI, '-r', pcap, '--keylog', join(keys, 'illustrated-tls12', 'keylog.txt'), '-T', 'fields', '-e', 'tls.decryption'], { encoding: 'utf8' });
  assert.match(without.stdout, /^encrypted-without-keys: no secrets for this session in the key log(,encrypted-without-keys: no secrets for this session in the key log){3}$/m);
});

// ---- live HTTP/1.1 and HTTP/2 ----

/** One HTTP/2 GET over TLS 1.3 to a local server; resolves with the status and body. */
function h2Get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    client.on('error', reject);
    const req = client.request({ ':path': path, 'x-tcpwatch-case': 'h2' });
    let status = 0;
    const chunks: Buffer[] = [];
    req.on('response', (h) => { status = Number(h[':status']); });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { client.close(); resolve({ status, body: Buffer.concat(chunks).toString() }); });
    req.on('error', reject);
    req.end();
  });
}

test('live HTTPS: HTTP/1.1 and HTTP/2 inside decrypted TLS give the fields tshark gives', { skip: !haveTcpdump ? 'tcpdump not installed' : !isRoot ? 'capturing on lo needs root' : false, timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-http-tls-'));
  const keylogPath = join(dir, 'keylog.txt');
  const pcap = join(dir, 'live.pcap');
  const lab = await startTlsServer({ port: 0, keylogPath });
  const cert = generateSelfSignedCertificate({ commonName: 'localhost' });
  const fd = openSync(keylogPath, 'a', 0o600);
  const h2server = http2.createSecureServer({ key: cert.keyPem, cert: cert.certPem });
  h2server.on('keylog', (line: Buffer) => writeSync(fd, line));
  h2server.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200, 'content-type': 'text/plain', 'x-served-by': 'tcpwatch-h2' });
    stream.end(`h2 answers ${headers[':path']}\n`);
  });
  await new Promise<void>((r) => h2server.listen(0, '127.0.0.1', r));
  const h2port = (h2server.address() as { port: number }).port;
  try {
    for (let attempt = 1; ; attempt++) {
      const td = await startTcpdump(pcap, `tcp port ${lab.port} or tcp port ${h2port}`, ['-B', '16384', '-s', '0']);
      const r13 = await fetchOverTls({ port: lab.port, path: '/index.html?v=13', minVersion: 'TLSv1.3' });
      const r12 = await fetchOverTls({ port: lab.port, path: '/?v=12', maxVersion: 'TLSv1.2' });
      const h2a = await h2Get(h2port, '/first');
      const h2b = await h2Get(h2port, '/second?x=1');
      assert.equal(r13.body, LAB_PAGE_HTML);
      assert.equal(r12.status, 200);
      assert.equal(h2a.body, 'h2 answers /first\n');
      assert.equal(h2b.status, 200);
      const dropped = await td.stop(200);
      if (dropped === 0) break;
      t.diagnostic(`attempt ${attempt}: ${dropped} packets dropped by the kernel; capturing again`);
      assert.ok(attempt < 3);
    }
    const fields = ['http.request.method', 'http.request.uri', 'http.host', 'http.response.code', 'http2.type', 'http2.streamid', 'http2.header.name', 'http2.header.value'];
    const values = runValues(pcap, options(keylogPath), fields);
    const ours = new Map<number, string[]>();
    for (const [n, v] of values) ours.set(n, v.map((x) => x.join(',')));
    const all = [...values.values()];
    const col = (name: string) => all.flatMap((v) => v[fields.indexOf(name)]);
    assert.deepEqual(col('http.request.uri'), ['/index.html?v=13', '/?v=12']);
    assert.deepEqual(col('http.request.method'), ['GET', 'GET']);
    assert.deepEqual(col('http.host'), ['localhost', 'localhost']);
    assert.deepEqual(col('http.response.code'), ['200', '200']);
    const names = col('http2.header.name');
    const hvalues = col('http2.header.value');
    const header = (n: string) => hvalues.filter((_, i) => names[i] === n);
    assert.deepEqual(header(':path'), ['/first', '/second?x=1']);
    assert.deepEqual(header('x-tcpwatch-case'), ['h2', 'h2']);
    assert.deepEqual(header('x-served-by'), ['tcpwatch-h2', 'tcpwatch-h2']);
    assert.deepEqual(header(':status'), ['200', '200']);
    assert.ok(col('http2.type').includes('4'), 'SETTINGS frames');

    if (haveTshark) {
      const theirs = tsharkFields(pcap, keylogPath, fields);
      const diffs: string[] = [];
      let compared = 0;
      for (const [n, v] of theirs) {
        for (let i = 0; i < fields.length; i++) {
          compared++;
          const mine = ours.get(n)?.[i] ?? '';
          if (mine !== v[i]) diffs.push(`frame ${n} ${fields[i]}: tcpwatch "${mine}" tshark "${v[i]}"`);
        }
      }
      t.diagnostic(`${compared - diffs.length}/${compared} field values agree with tshark`);
      assert.deepEqual(diffs, []);
    }
  } finally {
    h2server.close();
    closeSync(fd);
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
