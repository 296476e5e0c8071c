// The lab's local HTTPS server on loopback: a certificate generated in-process that real TLS clients
// (Node, openssl) accept, TLS 1.3 and 1.2 sessions, and a key log that holds the secrets of both.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fetchOverTls, LAB_PAGE_HTML, startTlsServer } from '../src/lab/tls-server';
import { derInteger, derOid, derTlv, generateSelfSignedCertificate } from '../src/lab/x509';
import { startTcpdump } from './helpers/tcpdump';
import { have, isRoot } from './helpers/system';

test('DER building blocks encode as X.690 says', () => {
  // ecdsa-with-SHA256, as it appears in every ECDSA certificate
  assert.equal(derOid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
  assert.equal(derOid('2.5.29.17').toString('hex'), '0603551d11');
  assert.equal(derInteger(2).toString('hex'), '020102');
  assert.equal(derInteger(0).toString('hex'), '020100');
  assert.equal(derInteger(128).toString('hex'), '02020080'); // a high bit needs a 0x00 to stay positive
  assert.equal(derInteger(Buffer.from([0, 0, 0x7f])).toString('hex'), '02017f'); // minimal form
  // long-form lengths
  assert.equal(derTlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex'), '0481c8');
  assert.equal(derTlv(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex'), '0482012c');
});

test('the generated certificate is a valid self-signed server certificate for localhost and loopback', () => {
  const now = new Date();
  const cert = generateSelfSignedCertificate();
  const x509 = new X509Certificate(cert.certPem);
  assert.ok(x509.verify(x509.publicKey), 'self-signature verifies');
  assert.equal(x509.checkHost('localhost'), 'localhost');
  assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(x509.checkIP('::1'), '::1');
  assert.equal(x509.checkHost('example.com'), undefined);
  assert.match(x509.subjectAltName ?? '', /DNS:localhost/);
  assert.equal(x509.ca, false);
  assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.ok(new Date(x509.validFrom) <= now && now < new Date(x509.validTo));
  assert.equal(x509.publicKey.asymmetricKeyType, 'ec');
  assert.ok(x509.checkPrivateKey(cert.privateKey));
  // two certificates never share a serial or key
  const other = new X509Certificate(generateSelfSignedCertificate().certPem);
  assert.notEqual(other.serialNumber, x509.serialNumber);
  assert.notEqual(other.fingerprint256, x509.fingerprint256);
});

test('openssl reads and verifies the generated certificate', { skip: have('openssl') ? false : 'openssl not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-x509-'));
  try {
    const pem = join(dir, 'cert.pem');
    writeFileSync(pem, generateSelfSignedCertificate().certPem);
    const text = spawnSync('openssl', ['x509', '-in', pem, '-noout', '-text'], { encoding: 'utf8' });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /Version: 3 \(0x2\)/);
    assert.match(text.stdout, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text.stdout, /Subject: O ?= ?tcpwatch lab, CN ?= ?localhost/);
    assert.match(text.stdout, /ASN1 OID: prime256v1/);
    assert.match(text.stdout, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    assert.match(text.stdout, /TLS Web Server Authentication/);
    const verify = spawnSync('openssl', ['verify', '-CAfile', pem, '-purpose', 'sslserver', pem], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /: OK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const KEYLOG_LINE = /^([A-Z_0-9]+) ([0-9a-f]{64}) ([0-9a-f]+)$/;

function keylogEntries(path: string): Array<{ label: string; clientRandom: string; secret: string }> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = KEYLOG_LINE.exec(l);
      assert.ok(m, `key log line in NSS format: ${l}`);
      return { label: m[1], clientRandom: m[2], secret: m[3] };
    });
}

test('HTTPS over TLS 1.3 and TLS 1.2, with every session secret in a 0600 key log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-tls-test-'));
  const server = await startTlsServer({ host: '127.0.0.1', port: 0 });
  try {
    assert.ok(server.port > 0);
    assert.equal(statSync(server.keylogPath).mode & 0o777, 0o600);

    const clientKeylog = join(dir, 'client-keylog.txt');
    const v13 = await fetchOverTls({ port: server.port, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ca: server.certPem, keylogPath: clientKeylog });
    assert.equal(v13.status, 200);
    assert.equal(v13.body, LAB_PAGE_HTML);
    assert.equal(v13.protocol, 'TLSv1.3');
    assert.match(String(v13.headers['content-type']), /^text\/html/);
    const afterV13 = keylogEntries(server.keylogPath);
    const labels13 = afterV13.map((e) => e.label).sort();
    assert.deepEqual(labels13, [
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'EXPORTER_SECRET',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_TRAFFIC_SECRET_0',
    ]);
    assert.equal(new Set(afterV13.map((e) => e.clientRandom)).size, 1, 'one session, one client random');
    // TLS_AES_256_GCM_SHA384 (Node's first choice) has 48-byte secrets, the SHA-256 suites 32
    for (const e of afterV13) assert.ok(e.secret.length === 96 || e.secret.length === 64);

    const v12 = await fetchOverTls({ port: server.port, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', ca: server.certPem, keylogPath: clientKeylog });
    assert.equal(v12.status, 200);
    assert.equal(v12.body, LAB_PAGE_HTML);
    assert.equal(v12.protocol, 'TLSv1.2');
    assert.equal(v12.cipher, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    const all = keylogEntries(server.keylogPath);
    const v12Lines = all.slice(afterV13.length);
    assert.equal(v12Lines.length, 1);
    assert.equal(v12Lines[0].label, 'CLIENT_RANDOM');
    assert.equal(v12Lines[0].secret.length, 96, 'a 48-byte master secret');

    // The client wrote the same secrets from its side.
    assert.equal(statSync(clientKeylog).mode & 0o777, 0o600);
    const serverLines = new Set(readFileSync(server.keylogPath, 'utf8').split('\n').filter(Boolean));
    const clientLines = readFileSync(clientKeylog, 'utf8').split('\n').filter(Boolean);
    assert.equal(clientLines.length, 6);
    for (const l of clientLines) assert.ok(serverLines.has(l), `client line also in the server's key log: ${l}`);

    const missing = await fetchOverTls({ port: server.port, path: '/nope' });
    assert.equal(missing.status, 404);
  } finally {
    await server.close();
    rmSync(dirname(server.keylogPath), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('certificate checking is real, and a named key log is appended to and made private', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-tls-test-'));
  const keylogPath = join(dir, 'keys.log');
  writeFileSync(keylogPath, 'CLIENT_RANDOM ' + 'aa'.repeat(32) + ' ' + 'bb'.repeat(48) + '\n', { mode: 0o644 });
  const server = await startTlsServer({ port: 0, keylogPath });
  try {
    assert.equal(server.keylogPath, keylogPath);
    assert.equal(statSync(keylogPath).mode & 0o777, 0o600);
    // a name the certificate does not carry is refused when the certificate is checked
    await assert.rejects(fetchOverTls({ port: server.port, servername: 'example.com', ca: server.certPem }), /altnames|does not match|ERR_TLS_CERT_ALTNAME_INVALID/i);
    // someone else's certificate is not trusted
    await assert.rejects(fetchOverTls({ port: server.port, ca: generateSelfSignedCertificate().certPem }), /self[- ]signed|signature|unable to verify/i);
    // without a CA the lab fetch still works (the learner's browser would warn)
    const ok = await fetchOverTls({ port: server.port });
    assert.equal(ok.status, 200);
    const entries = keylogEntries(keylogPath);
    assert.equal(entries[0].clientRandom, 'aa'.repeat(32), 'earlier lines kept');
    assert.ok(entries.length > 1);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the server survives clients that are not TLS or abort the handshake', async () => {
  const { connect } = await import('node:net');
  const server = await startTlsServer({ port: 0 });
  try {
    for (const junk of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '\x16\x03\x01\x00\x05abc']) {
      await new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: server.port }, () => {
          s.write(junk);
          setTimeout(() => s.resetAndDestroy(), 20);
        });
        s.on('error', () => {});
        s.on('close', () => resolve());
      });
    }
    const ok = await fetchOverTls({ port: server.port, ca: server.certPem });
    assert.equal(ok.status, 200);
  } finally {
    await server.close();
    rmSync(dirname(server.keylogPath), { recursive: true, force: true });
  }
});

const canCapture = isRoot && have('tcpdump') && have('tshark');

test('tshark decrypts a captured session with the key log the server wrote', { skip: canCapture ? false : 'needs root, tcpdump and tshark' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-tls-cap-'));
  const pcap = join(dir, 'tls.pcap');
  const server = await startTlsServer({ port: 0 });
  try {
    const dump = await startTcpdump(pcap, `tcp port ${server.port}`);
    await fetchOverTls({ port: server.port, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    await fetchOverTls({ port: server.port, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    await dump.stop();
    const out = spawnSync(
      'tshark',
      ['-r', pcap, '-o', `tls.keylog_file:${server.keylogPath}`, '-Y', 'http', '-T', 'fields', '-e', 'tcp.stream', '-e', 'tls.record.version', '-e', 'http.request.uri', '-e', 'http.response.code', '-e', 'tls.handshake.extensions_server_name'],
      { encoding: 'utf8' },
    );
    assert.equal(out.status, 0, out.stderr);
    const rows = out.stdout.trim().split('\n').map((l) => l.split('\t'));
    // per stream: the request (GET /) and the response (200), both only visible once decrypted
    assert.deepEqual(
      rows.map((r) => `${r[0]} ${r[2] || '-'} ${r[3] || '-'}`),
      ['0 / -', '0 - 200', '1 / -', '1 - 200'],
    );
    const hello = spawnSync('tshark', ['-r', pcap, '-Y', 'tls.handshake.type == 1', '-T', 'fields', '-e', 'tls.handshake.extensions_server_name'], { encoding: 'utf8' });
    assert.deepEqual(hello.stdout.trim().split('\n'), ['localhost', 'localhost'], 'SNI in both Client Hellos');
  } finally {
    await server.close();
    rmSync(dirname(server.keylogPath), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a taken port is reported, and no empty key log is left behind', async () => {
  const first = await startTlsServer({ port: 0 });
  try {
    const before = spawnSync('sh', ['-c', `ls -d ${tmpdir()}/tcpwatch-tls-* | wc -l`], { encoding: 'utf8' }).stdout.trim();
    await assert.rejects(startTlsServer({ port: first.port }), /EADDRINUSE/);
    const after = spawnSync('sh', ['-c', `ls -d ${tmpdir()}/tcpwatch-tls-* | wc -l`], { encoding: 'utf8' }).stdout.trim();
    assert.equal(after, before);
  } finally {
    await first.close();
    rmSync(dirname(first.keylogPath), { recursive: true, force: true });
  }
});
