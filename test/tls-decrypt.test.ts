// TLS record decryption against captures other projects made with their key logs: "The
// Illustrated TLS Connection" (exact plaintext given byte for byte) and snet's one-suite captures
// from SSL 3.0 to TLS 1.3, compared frame by frame with what tshark 4.0.17 decrypts. ARIA-GCM,
// which tshark 4.0 cannot decrypt, is checked against the same payload sent under AES-GCM.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { decryptCapture, walkTlsRecords } from './helpers/tls-walk';
import { KeyLog } from '../src/tls/keylog';
import { CT_APPLICATION_DATA, CT_HANDSHAKE, DecryptContext, Epoch, RecordStatus, TlsDecryptor } from '../src/tls/decrypt';
import { cipherSuite } from '../src/tls/cipher-suites';
import { hkdfExpand, hkdfExpandLabel, prf10, prf12 } from '../src/tls/key-schedule';
import { have } from './helpers/system';

const corpus = corpusDir();
const skipNoCorpus = corpus ? false : NO_CORPUS_REASON;
const keysDir = corpus ? join(corpus, 'tls-keys') : '';
const snet = join(keysDir, 'snet');
const expectedSnet = corpus ? join(corpus, 'expected', 'tls-keys', 'snet') : '';

function keylogOf(path: string): KeyLog {
  const log = new KeyLog();
  log.addFile(path, true);
  return log;
}

const haveOpenssl = have('openssl');

function opensslKdf(args: string[]): string {
  const r = spawnSync('openssl', ['kdf', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().replace(/:/g, '').toLowerCase();
}

test('the TLS PRFs and HKDF-Expand agree with OpenSSL\'s own implementations', { skip: haveOpenssl ? false : 'openssl not installed' }, () => {
  const secret = Buffer.from('9bbe436ba940f017b17652849a71db35', 'hex');
  const seed = Buffer.from('a0ba9f936cda311827a6f796ffd5198c', 'hex');
  const labelSeed = Buffer.concat([Buffer.from('test label'), seed]).toString('hex');
  for (const [digest, hash] of [['SHA256', 'sha256'], ['SHA384', 'sha384']] as const) {
    const ours = prf12(hash, secret, 'test label', seed, 100).toString('hex');
    assert.equal(ours, opensslKdf(['-keylen', '100', '-kdfopt', `digest:${digest}`, '-kdfopt', `hexsecret:${secret.toString('hex')}`, '-kdfopt', `hexseed:${labelSeed}`, 'TLS1-PRF']));
  }
  // TLS 1.0/1.1: MD5 and SHA-1 halves; an odd-length secret shares its middle byte
  const odd = Buffer.from('0102030405060708090a0b0c0d0e0f1011121314151617', 'hex');
  assert.equal(prf10(odd, 'key expansion', seed, 104).toString('hex'),
    opensslKdf(['-keylen', '104', '-kdfopt', 'digest:MD5-SHA1', '-kdfopt', `hexsecret:${odd.toString('hex')}`, '-kdfopt', `hexseed:${Buffer.concat([Buffer.from('key expansion'), seed]).toString('hex')}`, 'TLS1-PRF']));
  const info = Buffer.from('000c0a746c7331332074657374', 'hex');
  assert.equal(hkdfExpand('sha384', secret, info, 75).toString('hex'),
    opensslKdf(['-keylen', '75', '-kdfopt', 'digest:SHA384', '-kdfopt', `hexkey:${secret.toString('hex')}`, '-kdfopt', `hexinfo:${info.toString('hex')}`, '-kdfopt', 'mode:EXPAND_ONLY', 'HKDF']));
});

test('HKDF-Expand-Label gives The Illustrated TLS 1.3 Connection\'s server handshake key and IV', () => {
  // https://tls13.xargs.org/#server-handshake-keys-calc: from SERVER_HANDSHAKE_TRAFFIC_SECRET of its key log
  const secret = Buffer.from('23323da031634b241dd37d61032b62a4f450584d1f7f47983ba2f7cc0cdcc39a68f481f2b019f9403a3051908a5d1622', 'hex');
  assert.equal(hkdfExpandLabel('sha384', secret, 'key', Buffer.alloc(0), 32).toString('hex'), '9f13575ce3f8cfc1df64a77ceaffe89700b492ad31b4fab01c4792be1b266b7f');
  assert.equal(hkdfExpandLabel('sha384', secret, 'iv', Buffer.alloc(0), 12).toString('hex'), '9563bc8b590f671f488d2da3');
});

test('the cipher suite table reads parameters from IANA names', () => {
  const gcm = cipherSuite(0xc02f)!;
  assert.equal(gcm.name, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  assert.deepEqual([gcm.nodeCipher, gcm.keyLen, gcm.fixedIvLen, gcm.explicitNonceLen, gcm.tagLen, gcm.prfHash], ['aes-128-gcm', 16, 4, 8, 16, 'sha256']);
  const ccm8 = cipherSuite(0xc0af)!; // TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8
  assert.deepEqual([ccm8.nodeCipher, ccm8.tagLen, ccm8.prfHash], ['aes-256-ccm', 8, 'sha256']);
  const cbc = cipherSuite(0xc028)!; // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384
  assert.deepEqual([cbc.nodeCipher, cbc.blockLen, cbc.macHash, cbc.macLen, cbc.prfHash], ['aes-256-cbc', 16, 'sha384', 48, 'sha384']);
  assert.equal(cipherSuite(0x000a)!.nodeCipher, 'des-ede3-cbc');
  assert.equal(cipherSuite(0x1303)!.tls13, true);
  assert.equal(cipherSuite(0xc010)!.nodeCipher, ''); // NULL
  assert.equal(cipherSuite(0x0005), undefined, 'RC4 is not in Node\'s OpenSSL: not decryptable');
});

test('Illustrated TLS 1.3: handshake and application records decrypt to the exact plaintext', { skip: skipNoCorpus }, () => {
  const dir = join(keysDir, 'illustrated-tls13');
  const plain = (n: string) => readFileSync(join(dir, 'plain', n));
  const out = decryptCapture(join(dir, 'capture.pcap'), keylogOf(join(dir, 'keylog.txt')));
  const app = out.results.filter((r) => r.res.status === RecordStatus.Decrypted && r.res.contentType === CT_APPLICATION_DATA);
  assert.equal(app.length, 2);
  // plain/clientencdata is the record on the wire; plain/clientdata is "ping" followed by its inner type
  assert.deepEqual(Buffer.concat([Buffer.of(app[0].rec.contentType, 3, 3, 0, app[0].rec.fragment.length), app[0].rec.fragment]), plain('clientencdata'));
  assert.deepEqual(Buffer.concat([app[0].res.data!, Buffer.of(app[0].res.contentType)]), plain('clientdata'));
  assert.deepEqual(Buffer.concat([app[1].res.data!, Buffer.of(app[1].res.contentType)]), plain('serverdata'));
  assert.equal(app[0].res.data!.toString(), 'ping');
  assert.equal(app[1].res.data!.toString(), 'pong');
  // EncryptedExtensions, Certificate, CertificateVerify, Finished; the client's Finished; two tickets
  assert.deepEqual(out.frames.get(7)!.handshakeTypes, [2, 8, 11, 15, 20]);
  assert.deepEqual(out.frames.get(9)!.handshakeTypes, [20]);
  assert.deepEqual(out.frames.get(13)!.handshakeTypes, [4]);
  const epochs = out.results.filter((r) => r.res.status === RecordStatus.Decrypted).map((r) => r.res.epoch);
  assert.deepEqual(epochs, [Epoch.Handshake, Epoch.Handshake, Epoch.Handshake, Epoch.Handshake, Epoch.Handshake, Epoch.Application, Epoch.Application, Epoch.Application, Epoch.Application]);
  assert.equal(out.results.filter((r) => r.res.status === RecordStatus.AuthFailed).length, 0);
});

test('Illustrated TLS 1.2 (AES-128-CBC-SHA): Finished and application records decrypt to the exact plaintext', { skip: skipNoCorpus }, () => {
  const dir = join(keysDir, 'illustrated-tls12');
  const plain = (n: string) => readFileSync(join(dir, 'plain', n));
  const out = decryptCapture(join(dir, 'capture.pcap'), keylogOf(join(dir, 'keylog.txt')));
  const dec = out.results.filter((r) => r.res.status === RecordStatus.Decrypted);
  assert.equal(dec.length, 5);
  // the plain/ files hold each decrypted CBC block run: content, then MAC and padding
  const [clientFin, serverFin, ping, pong, alert] = dec.map((r) => r.res.data!);
  assert.deepEqual(clientFin, plain('clientfinishedplain').subarray(0, 16));
  assert.deepEqual(serverFin, plain('serverfinishedplain').subarray(0, 16));
  assert.deepEqual(ping, plain('clientdataplain').subarray(0, 4));
  assert.deepEqual(pong, plain('serverdataplain').subarray(0, 4));
  assert.equal(ping.toString() + pong.toString(), 'pingpong');
  assert.deepEqual(alert, plain('clientalertplain').subarray(0, 2)); // close_notify
  assert.deepEqual(dec[4].res.contentType, 21);
});

interface SuiteRow {
  captures: number;
  decrypted: number;
  /** Over the captures tests.conf lists: records tcpwatch decrypted, and snet's expected count. */
  countedCaptures: number;
  countedDecrypted: number;
  expected: number;
  cells: number;
  agree: number;
  ariaChecked: number;
}

/** tests.conf of snet: pcap → [key log, decrypted record count that project expects]. */
function readTestsConf(): Map<string, { keylog: string; count: number }> {
  const text = readFileSync(join(snet, 'tests.conf'), 'utf8');
  const out = new Map<string, { keylog: string; count: number }>();
  const re = /pcap = \S*\/([^/\s]+)\s*keylog = \S*\/([^/\s]+)(?:\s*#[^\n]*)*\s*decrypted_records_count = (\d+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.set(m[1], { keylog: m[2], count: Number(m[3]) });
  return out;
}

function readTsv(path: string): { header: string[]; rows: Map<number, string[]> } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  const header = lines[0].split('\t');
  const rows = new Map<number, string[]>();
  for (const l of lines.slice(1)) {
    const c = l.split('\t');
    rows.set(Number(c[0]), c);
  }
  return { header, rows };
}

/** Concatenated application data tshark decrypted in a capture (data.data of every frame). */
function tsharkAppData(pcapName: string): string {
  const { header, rows } = readTsv(join(expectedSnet, `${pcapName}.decrypted.tsv`));
  const i = header.indexOf('data.data');
  return [...rows.values()].map((c) => (c[i] ?? '').replace(/,/g, '')).join('');
}

test('snet captures, SSL 3.0 to TLS 1.3: what tshark decrypts, tcpwatch decrypts the same; ARIA-GCM too', { skip: skipNoCorpus }, (t) => {
  const conf = readTestsConf();
  const withTsv = readdirSync(expectedSnet).filter((f) => f.endsWith('.decrypted.tsv')).map((f) => f.slice(0, -'.decrypted.tsv'.length));
  const cases = new Set([...conf.keys(), ...withTsv]);
  const table = new Map<string, SuiteRow>();
  const problems: string[] = [];
  let tsvCaptures = 0;

  for (const pcap of [...cases].sort()) {
    const stem = pcap.replace(/\.pcap$/, '');
    const keylogName = conf.get(pcap)?.keylog ?? [`${stem}.txt`, `${stem}.keylog`].find((k) => existsSync(join(snet, k)));
    assert.ok(keylogName, `${pcap}: no key log`);
    const out = decryptCapture(join(snet, pcap), keylogOf(join(snet, keylogName)));
    const failed = out.results.filter((r) => r.res.status === RecordStatus.AuthFailed || r.res.status === RecordStatus.Unsupported || r.res.status === RecordStatus.NoKeys);
    if (failed.length > 0) problems.push(`${pcap}: ${failed.length} records not decrypted (${failed[0].res.reason})`);

    const main = out.decryptors.find((d) => d.stats.decrypted > 0) ?? out.decryptors[0];
    const suiteName = cipherSuite(main.cipherSuiteId)?.name ?? `0x${main.cipherSuiteId.toString(16)}`;
    const decrypted = out.decryptors.reduce((n, d) => n + d.stats.decrypted, 0);
    let row = table.get(suiteName);
    if (row === undefined) {
      row = { captures: 0, decrypted: 0, countedCaptures: 0, countedDecrypted: 0, expected: 0, cells: 0, agree: 0, ariaChecked: 0 };
      table.set(suiteName, row);
    }
    row.captures++;
    row.decrypted += decrypted;
    const isNull = /_WITH_NULL_/.test(suiteName);
    const expectedCount = conf.get(pcap)?.count;
    if (expectedCount !== undefined) {
      row.countedCaptures++;
      row.countedDecrypted += decrypted;
      row.expected += expectedCount;
    }
    // snet's counts leave out NULL-cipher records (it counts records that needed decrypting);
    // tcpwatch verifies their MAC and counts them as decrypted
    if (expectedCount !== undefined && !isNull && decrypted !== expectedCount) problems.push(`${pcap}: ${decrypted} records decrypted, tests.conf expects ${expectedCount}`);

    if (!withTsv.includes(pcap)) continue;
    tsvCaptures++;
    const { header, rows } = readTsv(join(expectedSnet, `${pcap}.decrypted.tsv`));
    const col = (name: string) => header.indexOf(name);
    const isAria = /ARIA/.test(pcap);
    // where tshark found no data.data at all although records were decrypted, its HTTP dissector took the bytes
    const tsharkShowsData = [...rows.values()].some((c) => (c[col('data.data')] ?? '') !== '');
    for (const [frame, c] of rows) {
      const v = out.frames.get(frame) ?? { contentTypes: [], opaqueTypes: [], handshakeTypes: [], appData: [] };
      const pairs: [string, string, string][] = [
        ['tls.record.content_type', v.contentTypes.join(','), c[col('tls.record.content_type')] ?? ''],
        ['tls.record.opaque_type', v.opaqueTypes.join(','), c[col('tls.record.opaque_type')] ?? ''],
      ];
      if (!isAria) {
        pairs.push(['tls.handshake.type', v.handshakeTypes.join(','), c[col('tls.handshake.type')] ?? '']);
        if (tsharkShowsData) pairs.push(['data.data', v.appData.join(','), c[col('data.data')] ?? '']);
      } else {
        // tshark 4.0 cannot decrypt ARIA: it sees the hellos, tcpwatch sees those and the Finished messages
        const theirs = (c[col('tls.handshake.type')] ?? '').split(',').filter((s) => s !== '').map(Number);
        const mine = v.handshakeTypes.filter((h) => h !== 20);
        pairs.push(['tls.handshake.type (unencrypted)', mine.join(','), theirs.join(',')]);
      }
      for (const [field, mine, theirs] of pairs) {
        row.cells++;
        if (mine === theirs) row.agree++;
        else problems.push(`${pcap} frame ${frame} ${field}: tcpwatch "${mine.slice(0, 40)}" tshark "${theirs.slice(0, 40)}"`);
      }
    }
    if (isAria) {
      // the same client sent the same bytes under AES-GCM of the same key size, which tshark decrypted
      const sibling = /ARIA128/.test(pcap) ? 'TLS1_2_AES128-GCM-SHA256_auth.pcap' : 'TLS1_2_AES256-GCM-SHA384_auth.pcap';
      const ours = out.results.filter((r) => r.res.status === RecordStatus.Decrypted && r.res.contentType === CT_APPLICATION_DATA).map((r) => r.res.data!.toString('hex')).join('');
      assert.equal(ours, tsharkAppData(sibling), `${pcap}: application data differs from ${sibling}`);
      assert.ok(ours.length > 0);
      const finished = out.results.filter((r) => r.res.status === RecordStatus.Decrypted && r.res.contentType === CT_HANDSHAKE && r.res.data![0] === 20);
      assert.equal(finished.length, 2, `${pcap}: both Finished messages decrypt`);
      row.ariaChecked++;
    }
  }

  const lines = ['suite | captures | records decrypted | decrypted/expected by snet tests.conf (captures it lists) | tshark fields agreeing'];
  let totDec = 0, totCells = 0, totAgree = 0;
  for (const [name, r] of [...table].sort()) {
    totDec += r.decrypted;
    totCells += r.cells;
    totAgree += r.agree;
    const tshark = r.cells === 0 ? '(no tshark table)' : `${r.agree}/${r.cells}${r.ariaChecked > 0 ? ' (tshark cannot decrypt ARIA; payload = AES-GCM capture\'s)' : ''}`;
    const expected = r.countedCaptures === 0 ? '-' : `${r.countedDecrypted}/${r.expected} (${r.countedCaptures})${/_WITH_NULL_/.test(name) ? ' snet does not count NULL' : ''}`;
    lines.push(`${name} | ${r.captures} | ${r.decrypted} | ${expected} | ${tshark}`);
  }
  lines.push(`total: ${cases.size} captures (${tsvCaptures} with tshark tables), ${totDec} records decrypted, ${totAgree}/${totCells} fields agree`);
  for (const l of lines) t.diagnostic(l);
  assert.equal(tsvCaptures, 87);
  assert.deepEqual(problems, []);
});

test('snet\'s TLS 1.2 HTTP captures decrypt to the requests and responses', { skip: skipNoCorpus }, () => {
  const out = decryptCapture(join(snet, 'tls1_2.pcap'), keylogOf(join(snet, 'tls1_2.keylog')));
  const app = out.results.filter((r) => r.res.status === RecordStatus.Decrypted && r.res.contentType === CT_APPLICATION_DATA);
  const client = app.filter((r) => r.rec.dir === 0).map((r) => r.res.data!.toString('latin1')).join('');
  assert.match(client, /^GET \/ HTTP\/1\.1\n/);
  const ssl3 = decryptCapture(join(snet, 'ssl3_0.pcap'), keylogOf(join(snet, 'ssl3_0.keylog')));
  // SSL 3.0 and TLS 1.0 CBC senders put an empty record before each one (a defence against BEAST)
  const first = ssl3.results.find((r) => r.res.status === RecordStatus.Decrypted && r.res.contentType === CT_APPLICATION_DATA && r.res.data!.length > 0)!;
  assert.equal(first.res.data!.toString('latin1'), 'GET / HTTP/1.1\n');
});

test('TLS 1.3 KeyUpdate: records after each update decrypt under the next generation of the secret', { skip: skipNoCorpus }, () => {
  const out = decryptCapture(join(snet, 'tls1.3_keyupdates_aes256.pcap'), keylogOf(join(snet, 'log.txt')));
  const updates = out.results.filter((r) => r.res.status === RecordStatus.Decrypted && r.res.contentType === CT_HANDSHAKE && r.res.data![0] === 24);
  assert.ok(updates.length >= 1, 'the capture has KeyUpdate messages');
  const maxGen = Math.max(...out.results.map((r) => r.res.keyGeneration));
  assert.ok(maxGen >= 1);
  const after = out.results.filter((r) => r.res.keyGeneration > 0);
  assert.ok(after.length > 0 && after.every((r) => r.res.status === RecordStatus.Decrypted), 'every record after a KeyUpdate decrypts');
});

/** One capture per kind of record protection, for tampering. */
const TAMPER_CASES: [string, string, string][] = [
  ['TLS 1.3 AES-256-GCM', 'illustrated-tls13/capture.pcap', 'illustrated-tls13/keylog.txt'],
  ['TLS 1.3 AES-128-CCM-8', 'snet/TLS1_3_TLS_AES_128_CCM_8_SHA256.pcap', 'snet/TLS1_3_TLS_AES_128_CCM_8_SHA256.txt'],
  ['TLS 1.3 ChaCha20-Poly1305', 'snet/TLS1_3_TLS_CHACHA20_POLY1305_SHA256.pcap', 'snet/TLS1_3_TLS_CHACHA20_POLY1305_SHA256.txt'],
  ['TLS 1.2 AES-GCM', 'snet/TLS1_2_ECDHE-RSA-AES256-GCM-SHA384_auth.pcap', 'snet/TLS1_2_ECDHE-RSA-AES256-GCM-SHA384_auth.txt'],
  ['TLS 1.2 AES-CCM', 'snet/TLS1_2_AES128-CCM_auth.pcap', 'snet/TLS1_2_AES128-CCM_auth.txt'],
  ['TLS 1.2 ChaCha20-Poly1305', 'snet/TLS1_2_ECDHE-RSA-CHACHA20-POLY1305_auth.pcap', 'snet/TLS1_2_ECDHE-RSA-CHACHA20-POLY1305_auth.txt'],
  ['TLS 1.2 ARIA-GCM', 'snet/TLS1_2_ARIA128-GCM-SHA256_auth.pcap', 'snet/TLS1_2_ARIA128-GCM-SHA256_auth.txt'],
  ['TLS 1.2 Camellia-CBC, encrypt-then-MAC', 'snet/TLS1_2_CAMELLIA256-SHA256_auth.pcap', 'snet/TLS1_2_CAMELLIA256-SHA256_auth.txt'],
  ['TLS 1.2 AES-CBC, MAC-then-encrypt', 'illustrated-tls12/capture.pcap', 'illustrated-tls12/keylog.txt'],
  ['TLS 1.1 AES-CBC', 'snet/TLS1_1_ECDHE-RSA-AES128-SHA.pcap', 'snet/TLS1_1_ECDHE-RSA-AES128-SHA.txt'],
  ['TLS 1.0 AES-CBC', 'snet/TLS1_ECDHE-RSA-AES256-SHA.pcap', 'snet/TLS1_ECDHE-RSA-AES256-SHA.txt'],
  ['TLS 1.0 NULL-SHA', 'snet/TLS1_ECDHE-RSA-NULL-SHA.pcap', 'snet/TLS1_ECDHE-RSA-NULL-SHA.txt'],
  ['SSL 3.0 AES-CBC', 'snet/ssl3_0.pcap', 'snet/ssl3_0.keylog'],
];

test('a record with one byte flipped fails authentication, is reported as such, and shows no plaintext', { skip: skipNoCorpus }, () => {
  for (const [label, pcap, keylog] of TAMPER_CASES) {
    const log = keylogOf(join(keysDir, keylog));
    const clean = decryptCapture(join(keysDir, pcap), log);
    // a record of several blocks, so that its first byte is not in the last block (which chains into the next IV in TLS 1.0)
    const target = clean.results.findIndex((r) => r.res.status === RecordStatus.Decrypted && r.rec.contentType === CT_APPLICATION_DATA && r.rec.fragment.length >= 48);
    assert.ok(target >= 0, label);
    const dir = clean.results[target].rec.dir;
    const next = clean.results.findIndex((r, i) => i > target && r.rec.dir === dir && r.res.status === RecordStatus.Decrypted);
    for (const where of ['first', 'last'] as const) {
      const tampered = decryptCapture(join(keysDir, pcap), log, (r, i) => {
        if (i === target) r.fragment[where === 'first' ? 0 : r.fragment.length - 1] ^= 0x01;
      });
      const res = tampered.results[target].res;
      assert.equal(res.status, RecordStatus.AuthFailed, `${label}, ${where} byte: ${res.reason}`);
      assert.equal(res.data, null, `${label}: no plaintext for a record that failed`);
      assert.match(res.reason, /tag mismatch|bad record MAC|bad padding/, label);
      // TLS 1.0 with encrypt-then-MAC: the next record's IV is the failed record's last block, which its
      // own MAC does not cover, so it is reported failed too; everywhere else a flipped first byte
      // leaves later records intact
      const chained = clean.decryptors[0].encryptThenMac && clean.decryptors[0].version === 0x0301;
      if (where === 'first' && next >= 0) {
        if (chained) {
          assert.equal(tampered.results[next].res.status, RecordStatus.AuthFailed, label);
          assert.equal(tampered.results[next].res.data, null, label);
        } else {
          assert.equal(tampered.results[next].res.status, RecordStatus.Decrypted, `${label}: the record after the tampered one`);
          assert.deepEqual(tampered.results[next].res.data, clean.results[next].res.data, label);
        }
      }
      // MAC-then-encrypt without explicit IV (SSL 3.0): a damaged last block garbles the next record, whose MAC then fails
      const failures = chained || (where === 'last' && /SSL 3/.test(label)) ? 2 : 1;
      assert.equal(tampered.results.filter((r) => r.res.status === RecordStatus.AuthFailed).length, failures, label);
    }
  }
});

test('TLS 1.0 CBC with encrypt-then-MAC: damage in a record\'s last block fails that record and the next, whose IV it is', { skip: skipNoCorpus }, () => {
  const pcap = join(snet, 'TLS1_ECDHE-RSA-AES256-SHA.pcap');
  const log = keylogOf(join(snet, 'TLS1_ECDHE-RSA-AES256-SHA.txt'));
  const clean = decryptCapture(pcap, log);
  assert.equal(clean.decryptors[0].encryptThenMac, true);
  const target = clean.results.findIndex((r) => r.res.status === RecordStatus.Decrypted && r.rec.contentType === CT_APPLICATION_DATA);
  const dir = clean.results[target].rec.dir;
  const next = clean.results.findIndex((r, i) => i > target && r.rec.dir === dir);
  const afterNext = clean.results.findIndex((r, i) => i > next && r.rec.dir === dir);
  const macLen = 20;
  const tampered = decryptCapture(pcap, log, (r, i) => {
    if (i === target) r.fragment[r.fragment.length - macLen - 1] ^= 0x80; // last ciphertext byte
  });
  assert.equal(tampered.results[target].res.status, RecordStatus.AuthFailed);
  // the next record's own MAC verifies, but its first block would be garbage: it is reported, not shown
  assert.equal(tampered.results[next].res.status, RecordStatus.AuthFailed);
  assert.match(tampered.results[next].res.reason, /previous record/);
  assert.equal(tampered.results[next].res.data, null);
  assert.equal(tampered.results[afterNext].res.status, RecordStatus.Decrypted, 'the chain recovers from an intact record');
  assert.deepEqual(tampered.results[afterNext].res.data, clean.results[afterNext].res.data);
});

test('without the session in the key log records stay encrypted-without-keys; a wrong secret fails authentication', { skip: skipNoCorpus }, () => {
  const pcap = join(keysDir, 'illustrated-tls13', 'capture.pcap');
  // another session's key log (TLS 1.2, the same client random but no TLS 1.3 secrets)
  const other = decryptCapture(pcap, keylogOf(join(keysDir, 'illustrated-tls12', 'keylog.txt')));
  const statuses = other.results.map((r) => r.res.status);
  assert.equal(statuses.filter((s) => s === RecordStatus.NoKeys).length, 9);
  assert.equal(statuses.filter((s) => s === RecordStatus.Decrypted || s === RecordStatus.AuthFailed).length, 0);
  assert.ok(other.results.filter((r) => r.res.status === RecordStatus.NoKeys).every((r) => r.res.data === null && r.res.contentType === 23));
  // the hellos and ChangeCipherSpec are still read
  assert.deepEqual(other.frames.get(5)!.handshakeTypes, [1]);
  assert.deepEqual(other.frames.get(7)!.handshakeTypes, [2]);
  assert.equal(other.decryptors[0].keysFound, false);

  // an empty key log
  const none = decryptCapture(pcap, new KeyLog());
  assert.equal(none.results.filter((r) => r.res.status === RecordStatus.NoKeys).length, 9);

  // the right session with a damaged secret: the tags do not verify, nothing is shown
  const text = readFileSync(join(keysDir, 'illustrated-tls13', 'keylog.txt'), 'utf8').replace(/ (23323da0)/, ' 33323da0');
  const damaged = new KeyLog();
  damaged.addText(text);
  const bad = decryptCapture(pcap, damaged);
  const serverHs = bad.results.filter((r) => r.rec.dir === 1 && r.rec.contentType === 23 && r.res.epoch === Epoch.Handshake);
  assert.ok(serverHs.length > 0 && serverHs.every((r) => r.res.status === RecordStatus.AuthFailed && r.res.data === null));
});

test('TLS 1.3 records that arrive before their secrets wait, and decrypt when the key log catches up', { skip: skipNoCorpus }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-late-'));
  try {
    const src = join(keysDir, 'illustrated-tls13');
    const path = join(dir, 'sslkeylog.txt');
    writeFileSync(path, '');
    const log = new KeyLog();
    log.addFile(path, false);
    const d = new TlsDecryptor(new DecryptContext(log));
    const late: { tag: number; contentType: number; status: RecordStatus }[] = [];
    d.onLateRecord = (tag, _dir, r) => late.push({ tag, contentType: r.contentType, status: r.status });
    const records = walkTlsRecords(join(src, 'capture.pcap')).records;
    const statusOf = (i: number) => {
      const r = records[i];
      return d.record(r.dir, r.contentType, r.version, r.fragment, r.frame).status;
    };
    // Client Hello, Server Hello, ChangeCipherSpec, then the server's encrypted flight: no secrets yet
    const early = [0, 1, 2, 3, 4, 5, 6].map(statusOf);
    assert.deepEqual(early, [RecordStatus.Plaintext, RecordStatus.Plaintext, RecordStatus.Plaintext, RecordStatus.NoKeys, RecordStatus.NoKeys, RecordStatus.NoKeys, RecordStatus.NoKeys]);
    // the client writes its secrets a moment later
    writeFileSync(path, readFileSync(join(src, 'keylog.txt')));
    await new Promise((r) => setTimeout(r, 30));
    const rest = records.slice(7).map((_, i) => statusOf(7 + i));
    assert.deepEqual(late.map((l) => [l.tag, l.status]), [[7, RecordStatus.Decrypted], [7, RecordStatus.Decrypted], [7, RecordStatus.Decrypted], [7, RecordStatus.Decrypted]]);
    assert.ok(rest.every((s) => s === RecordStatus.Decrypted || s === RecordStatus.Plaintext));
    assert.equal(d.stats.decrypted, 9);
    assert.equal(d.stats.noKeys, 0, 'records that waited are counted as what they became');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('records of a connection whose handshake was not captured are never shown as plaintext', { skip: skipNoCorpus }, () => {
  const records = walkTlsRecords(join(keysDir, 'illustrated-tls12', 'capture.pcap')).records;
  const d = new TlsDecryptor(new DecryptContext(keylogOf(join(keysDir, 'illustrated-tls12', 'keylog.txt'))));
  // start after the hellos, as a capture started mid-connection would
  const results = records.slice(6).map((r) => d.record(r.dir, r.contentType, r.version, r.fragment, r.frame));
  assert.ok(results.every((r) => r.status === RecordStatus.NoKeys && r.data === null), results.map((r) => r.reason).join());
});
