// TLS on loopback, captured for real: the lab's HTTPS server (Node) answers a TLS 1.3 and a TLS 1.2
// client, and, where Debian's openssl and curl are installed, `openssl s_server` answers curl. tcpdump
// records it; tcpwatch must show each Client Hello with its SNI and ALPN, and each Server Hello with
// the negotiated version and cipher suite that the client itself reports. When tshark is installed,
// every tls.* column and the Protocol/Info columns of the capture are compared with it as well.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { startTlsServer } from '../src/lab/tls-server';
import { generateSelfSignedCertificate } from '../src/lab/x509';
import { cipherSuite } from '../src/tls/cipher-suites';
import { formatField, getField } from '../src/fields';
import { infoColumn, protocolColumn } from '../src/output/summary';
import '../src/tls/summary';
import { startTcpdump, Tcpdump } from './helpers/tcpdump';
import { forEachFrame, occurrences } from './helpers/pipeline';
import { have, isRoot } from './helpers/system';
import { freePort, untilAccepting } from './helpers/loopback';

const canCapture = isRoot && have('tcpdump');

/** IANA number of a cipher suite's standard name, from the table decryption uses. */
function suiteId(name: string): number {
  for (let id = 0; id < 0x10000; id++) if (cipherSuite(id)?.name === name) return id;
  throw new Error(`unknown suite ${name}`);
}

interface Fetched {
  protocol: string | null;
  cipher: string;
  alpn: string | false;
  localPort: number;
}

/** One HTTPS request over tls.connect, with SNI and ALPN of our choosing. */
function fetch(port: number, servername: string, alpn: string[], maxVersion: tls.SecureVersion): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername, ALPNProtocols: alpn, maxVersion, rejectUnauthorized: false });
    const timer = setTimeout(() => sock.destroy(new Error('no answer in 5 s')), 5000);
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    let result: Fetched | null = null;
    sock.on('secureConnect', () => {
      result = { protocol: sock.getProtocol(), cipher: sock.getCipher().standardName, alpn: sock.alpnProtocol ?? false, localPort: sock.localPort ?? 0 };
      sock.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
    });
    sock.on('data', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      if (result === null) reject(new Error('closed before the handshake completed'));
      else resolve(result);
    });
  });
}

interface Row {
  number: number;
  srcPort: number;
  dstPort: number;
  protocol: string;
  info: string;
  f: (name: string) => string[];
}

function dissect(file: string): Row[] {
  const rows: Row[] = [];
  forEachFrame(file, (d) => {
    const values = new Map<string, string[]>();
    for (const name of ['tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str',
      'tls.handshake.extensions.supported_version', 'tls.handshake.ciphersuite', 'tls.handshake.version', 'tls.record.version']) {
      values.set(name, occurrences(name, d));
    }
    rows.push({ number: d.number, srcPort: d.srcPort, dstPort: d.dstPort, protocol: protocolColumn(d), info: infoColumn(d), f: (n) => values.get(n) ?? [] });
  });
  return rows;
}

async function stop(p: ChildProcess | null, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (p === null || p.exitCode !== null) return;
  const exited = new Promise<void>((r) => p.on('close', () => r()));
  p.kill(signal);
  await exited;
}

/** The Client Hello and the Server Hello of the connection from client port `cport`. */
function hellos(rows: Row[], cport: number, sport: number): { ch: Row; sh: Row } {
  const ch = rows.find((r) => r.srcPort === cport && r.dstPort === sport && r.f('tls.handshake.type').includes('1'));
  const sh = rows.find((r) => r.srcPort === sport && r.dstPort === cport && r.f('tls.handshake.type').includes('2'));
  assert.ok(ch, `Client Hello from port ${cport}`);
  assert.ok(sh, `Server Hello to port ${cport}`);
  return { ch, sh };
}

test('live TLS 1.3 and TLS 1.2 on loopback: Client Hello with SNI and ALPN, Server Hello with version and suite', {
  skip: canCapture ? false : 'needs root and tcpdump', timeout: 60_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-tls-lab-'));
  const pcap = join(dir, 'tls.pcap');
  const server = await startTlsServer({ host: '127.0.0.1', port: 0, keylogPath: join(dir, 'keys.txt') });
  const useOpenssl = have('openssl') && have('curl');
  const osslPort = useOpenssl ? await freePort() : 0;
  let dump: Tcpdump | null = null;
  let ossl: ChildProcess | null = null;
  try {
    const filter = useOpenssl ? `tcp port ${server.port} or tcp port ${osslPort}` : `tcp port ${server.port}`;
    dump = await startTcpdump(pcap, filter);
    const v13 = await fetch(server.port, 'tls13.tcpwatch.test', ['h2', 'http/1.1'], 'TLSv1.3');
    const v12 = await fetch(server.port, 'tls12.tcpwatch.test', ['http/1.1'], 'TLSv1.2');
    assert.equal(v13.protocol, 'TLSv1.3');
    assert.equal(v12.protocol, 'TLSv1.2');

    let curlPort = 0;
    if (useOpenssl) {
      const cert = generateSelfSignedCertificate({ commonName: 'localhost' });
      writeFileSync(join(dir, 'cert.pem'), cert.certPem);
      writeFileSync(join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
      ossl = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${osslPort}`, '-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem'),
        '-www', '-alpn', 'http/1.1', '-tls1_2', '-quiet'], { stdio: ['pipe', 'ignore', 'pipe'] });
      // s_server prints nothing in -quiet mode until a client arrives: wait for the port to answer.
      await untilAccepting(osslPort);
      const curl = spawnSync('curl', ['-sk', '--http1.1', '--tlsv1.2', '--tls-max', '1.2', '-o', '/dev/null', '-w', '%{local_port}',
        '--resolve', `curl.tcpwatch.test:${osslPort}:127.0.0.1`, `https://curl.tcpwatch.test:${osslPort}/`], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(curl.status, 0, curl.stderr);
      curlPort = Number(curl.stdout);
    }
    await dump.stop(200);
    dump = null;

    const rows = dissect(pcap);
    // TLS 1.3: the Client Hello offers TLS 1.3, the Server Hello selects it in supported_versions.
    const a = hellos(rows, v13.localPort, server.port);
    assert.equal(a.ch.info, 'Client Hello');
    assert.deepEqual(a.ch.f('tls.handshake.extensions_server_name'), ['tls13.tcpwatch.test']);
    assert.deepEqual(a.ch.f('tls.handshake.extensions_alpn_str'), ['h2', 'http/1.1']);
    assert.ok(a.ch.f('tls.handshake.extensions.supported_version').includes('0x0304'));
    assert.equal(a.sh.protocol, 'TLSv1.3');
    assert.match(a.sh.info, /^Server Hello, Change Cipher Spec, Application Data/);
    assert.deepEqual(a.sh.f('tls.handshake.extensions.supported_version'), ['0x0304']);
    assert.equal(a.sh.f('tls.handshake.ciphersuite')[0], '0x' + suiteId(v13.cipher).toString(16).padStart(4, '0'));

    // TLS 1.2: no supported_versions in the Server Hello; its version field says 1.2.
    const b = hellos(rows, v12.localPort, server.port);
    assert.deepEqual(b.ch.f('tls.handshake.extensions_server_name'), ['tls12.tcpwatch.test']);
    assert.deepEqual(b.ch.f('tls.handshake.extensions_alpn_str'), ['http/1.1']);
    assert.equal(b.sh.protocol, 'TLSv1.2');
    assert.deepEqual(b.sh.f('tls.handshake.extensions.supported_version'), []);
    assert.equal(b.sh.f('tls.handshake.version')[0], '0x0303');
    assert.equal(b.sh.f('tls.handshake.ciphersuite')[0], '0x' + suiteId(v12.cipher).toString(16).padStart(4, '0'));
    assert.match(b.sh.info, /^Server Hello/);

    if (useOpenssl) {
      const c = hellos(rows, curlPort, osslPort);
      assert.deepEqual(c.ch.f('tls.handshake.extensions_server_name'), ['curl.tcpwatch.test']);
      assert.ok(c.ch.f('tls.handshake.extensions_alpn_str').includes('http/1.1'));
      assert.equal(c.sh.protocol, 'TLSv1.2');
      assert.equal(c.sh.f('tls.handshake.version')[0], '0x0303');
      assert.deepEqual(c.sh.f('tls.handshake.extensions_alpn_str'), ['http/1.1'], 'openssl s_server selects ALPN');
    } else {
      t.diagnostic('openssl/curl not installed: the openssl s_server + curl exchange was not run');
    }

    if (have('tshark')) {
      // The same capture through tshark: every TLS column and the summary must agree.
      const cols = ['tls.record.content_type', 'tls.record.version', 'tls.record.length', 'tls.handshake.type', 'tls.handshake.version',
        'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str', 'tls.handshake.ciphersuite',
        'tls.handshake.ja3', 'tls.handshake.ja3s', '_ws.col.Protocol', '_ws.col.Info'];
      const ts = spawnSync('tshark', ['-n', '-r', pcap, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', ...cols.flatMap((c) => ['-e', c])], { encoding: 'utf8' });
      const theirs = ts.stdout.split('\n').filter((l) => l !== '');
      const ours = spawnOurs(pcap, cols);
      assert.equal(ours.length, theirs.length);
      const diffs: string[] = [];
      for (let i = 0; i < theirs.length; i++) if (theirs[i] !== ours[i]) diffs.push(`frame ${i + 1}:\n  tshark   ${theirs[i]}\n  tcpwatch ${ours[i]}`);
      assert.deepEqual(diffs, []);
      t.diagnostic(`${theirs.length} frames agree with tshark on ${cols.length} columns`);
    }
  } finally {
    await dump?.stop(0);
    await stop(ossl, 'SIGTERM');
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Our -T fields output for the same columns, made in-process the way the CLI makes it. */
function spawnOurs(file: string, cols: string[]): string[] {
  const defs = cols.map((c) => getField(c)!);
  const lines: string[] = [];
  forEachFrame(file, (d) => lines.push(defs.map((f) => (f.count(d) > 0 ? formatField(f, d, 0) : '')).join('\t')));
  return lines;
}
