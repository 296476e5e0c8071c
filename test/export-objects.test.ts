// --export-objects http,DIR: tshark 4.0 runs in the test on the same captures and says which files
// must be written, by name and byte for byte — every corpus capture whose HTTP tshark lists, and the
// bundled lab capture, whose HTTP is in TLS decrypted with its embedded key log. A crafted
// conversation whose URIs climb out of DIR ('..', '/../..', backslashes) is named as tshark names
// it and written inside DIR only, and a symbolic link waiting in DIR is not followed. A bad argument
// is one line and exit status 2 (tshark refuses the same arguments).
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON, REPO_ROOT, listFiles } from './helpers/corpus';
import { runCli, runCommand, inParallel, CliRun } from './helpers/parallel';
import { ipv4Tcp, writeEthernetFrames } from './helpers/crafted-tcp';
import { TH_ACK, TH_PSH } from '../src/decode/tcp';
import { safeFileName, baseName } from '../src/reports/export-objects';

const LAB = path.join(REPO_ROOT, 'samples', 'lab.pcapng');
const haveTshark = spawnSync('tshark', ['-v']).status === 0;
const corpus = corpusDir();
const skip = haveTshark ? false : 'tshark is not installed';
const skipCorpus = skip || (corpus === null ? NO_CORPUS_REASON : false);

/** Every file below dir, as relative name → bytes (hex, so a difference prints short). */
function filesIn(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    out.set(name, fs.lstatSync(file).isSymbolicLink() ? 'a symbolic link' : fs.readFileSync(file).toString('hex'));
  }
  return out;
}

/** The corpus captures where tshark's Protocol column names the protocol on some frame (expected/*.tsv, the column before Info). */
function capturesOf(root: string, label: string): string[] {
  const expected = path.join(root, 'expected', 'valid');
  return listFiles(expected, (n) => n.endsWith('.tsv')).filter((tsv) => {
    const lines = fs.readFileSync(tsv, 'latin1').split('\n');
    return lines.slice(1).some((l) => {
      const cols = l.split('\t');
      return cols.length > 2 && cols[cols.length - 2].startsWith(label);
    });
  }).map((tsv) => path.join(root, 'valid', path.relative(expected, tsv).slice(0, -'.tsv'.length)));
}

test('--export-objects http writes the files tshark 4.0 writes, names and bytes, on the corpus HTTP captures and the decrypted lab capture', { skip: skipCorpus, timeout: 600_000 }, async () => {
  const captures = [...capturesOf(corpus!, 'HTTP'), LAB];
  assert.ok(captures.length >= 7, `HTTP captures found: ${captures.length}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-eo-'));
  let agree = 0, objects = 0;
  try {
    await inParallel(captures, async (pcap) => {
      const stem = path.relative(REPO_ROOT, pcap).replace(/[/\\]/g, '_') + path.basename(pcap);
      const mine = path.join(tmp, 'tcpwatch', stem), theirs = path.join(tmp, 'tshark', stem);
      const [a, b] = await Promise.all([
        runCli(['-r', pcap, '-q', '--export-objects', `http,${mine}`]),
        runCommand('tshark', ['-n', '-r', pcap, '-q', '--export-objects', `http,${theirs}`]),
      ]);
      return { a, b, mine, theirs };
    }, (pcap, { a, b, mine, theirs }) => {
      assert.equal(b.status, 0, `tshark on ${pcap}: ${b.stderr}`);
      assert.equal(a.status, 0, `tcpwatch on ${pcap}: ${a.stderr}`);
      assert.equal(a.stderr, '', `tcpwatch on ${pcap} said: ${a.stderr}`);
      const got = filesIn(mine), want = filesIn(theirs);
      assert.deepEqual([...got.keys()], [...want.keys()], `file names from ${pcap}`);
      for (const [name, bytes] of want) assert.equal(got.get(name), bytes, `bytes of ${name} from ${pcap}`);
      objects += want.size;
      agree++;
    });
    // The corpus has 10 objects in 6 captures, the lab 2 (in decrypted TLS): not all empty directories.
    assert.ok(objects >= 12, `objects tshark exported: ${objects}`);
    assert.equal(agree, captures.length);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

/** One HTTP/1.1 connection (no handshake: tshark and tcpwatch take it as HTTP on port 80) carrying each request and its response in turn. */
function writeExchanges(file: string, exchanges: Array<{ request: string; response: string }>): void {
  const C = [10, 0, 0, 1], S = [10, 0, 0, 2];
  let cs = 1000, ss = 5000;
  const frames: Buffer[] = [];
  for (const e of exchanges) {
    const q = Buffer.from(e.request, 'latin1'), r = Buffer.from(e.response, 'latin1');
    frames.push(ipv4Tcp(C, S, 40000, 80, cs, ss, TH_PSH | TH_ACK, q));
    cs += q.length;
    frames.push(ipv4Tcp(S, C, 80, 40000, ss, cs, TH_PSH | TH_ACK, r));
    ss += r.length;
  }
  writeEthernetFrames(file, frames, 1000);
}

test('--export-objects: URIs that climb out of DIR are named as tshark names them and written inside DIR only; a link in DIR is not followed', { skip, timeout: 300_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-eo-hostile-'));
  try {
    const pcap = path.join(tmp, 'climb.pcap');
    const ok = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const uris = ['/../../../../tmp/escaped', '/..', '/.', '/a/b/', '/..\\..\\win.ini', '/q?x=<a>|"b":*', '/', '/', '/'];
    writeExchanges(pcap, uris.map((u, i) => ({ request: `GET ${u} HTTP/1.1\r\nHost: example\r\n\r\n`, response: ok(`body ${i}`) })));
    const mine = path.join(tmp, 'out-tcpwatch'), theirs = path.join(tmp, 'out-tshark');
    // A link named as the first "/" object will be: following it would write outside.
    fs.mkdirSync(mine);
    const outside = path.join(tmp, 'outside');
    fs.symlinkSync(outside, path.join(mine, '%2f'));
    fs.mkdirSync(theirs);
    fs.writeFileSync(path.join(theirs, '%2f'), ''); // the name taken in tshark's directory too, by a plain file
    const [a, b] = await Promise.all([
      runCli(['-r', pcap, '-q', '--export-objects', `http,${mine}`]),
      runCommand('tshark', ['-n', '-r', pcap, '-q', '--export-objects', `http,${theirs}`]),
    ]);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(a.status, 0, a.stderr);
    assert.ok(!fs.existsSync(outside), 'the link in DIR was followed');
    assert.ok(!fs.existsSync(path.join(tmp, 'escaped')) && !fs.existsSync('/tmp/escaped'), 'a file was written outside DIR');
    const got = filesIn(mine), want = filesIn(theirs);
    got.delete('%2f');
    want.delete('%2f');
    assert.deepEqual([...got.keys()], [...want.keys()]);
    for (const [name, bytes] of want) assert.equal(got.get(name), bytes, name);
    assert.equal(got.size, uris.length);
    // Only regular files, directly in DIR.
    for (const name of fs.readdirSync(mine)) if (name !== '%2f') assert.ok(fs.lstatSync(path.join(mine, name)).isFile(), name);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('export object names: Wireshark\'s escaping, base names and (N) kept before the extension within 255 bytes', () => {
  const s = (name: string, dup = 0): string => safeFileName(Buffer.from(name, 'latin1'), dup).toString('latin1');
  assert.equal(s('a/b\\c:d'), 'a%2fb%5cc%3ad');
  assert.equal(s('x\x01y\x00z'), 'x%01y');
  assert.equal(s('index.html', 2), 'index(2).html');
  assert.equal(s('noext', 1), 'noext(1)');
  const long = 'n'.repeat(300) + '.txt';
  assert.equal(s(long).length, 255);
  assert.ok(s(long).endsWith('.txt'));
  assert.ok(s(long, 7).endsWith('(7).txt') && s(long, 7).length === 255);
  assert.equal(baseName(Buffer.from('/a/b/')).toString(), 'b');
  assert.equal(baseName(Buffer.from('///')).toString(), '/');
  assert.equal(baseName(Buffer.from('')).toString(), '.');
});

test('--export-objects with a bad argument: one line, exit status 2, where tshark refuses it too', { skip, timeout: 120_000 }, async () => {
  const cases = ['nonsense,/tmp/tcpwatch-eo-never', 'http', 'smtp'];
  const runs: Array<[CliRun, CliRun]> = await Promise.all(cases.map((c) => Promise.all([
    runCli(['-r', LAB, '-q', '--export-objects', c]),
    runCommand('tshark', ['-n', '-r', LAB, '-q', '--export-objects', c]),
  ])));
  runs.forEach(([a, b], i) => {
    assert.notEqual(b.status, 0, `tshark accepted ${cases[i]}`);
    assert.equal(a.status, 2, `${cases[i]}: ${a.stderr}`);
    assert.equal(a.stdout, '');
    const lines = a.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, a.stderr);
    // tshark's own words for it
    assert.match(lines[0], /^tcpwatch: .*"--export-objects" are specified as: <protocol>,<destdir>/);
  });
  assert.ok(!fs.existsSync('/tmp/tcpwatch-eo-never'));
  // tshark takes an empty DIR and fails to make it, exit status 0; tcpwatch says so before reading.
  const empty = await runCli(['-r', LAB, '-q', '--export-objects', 'http,']);
  assert.equal(empty.status, 2);
  assert.equal(empty.stderr.split('\n').filter((l) => l !== '').length, 1, empty.stderr);
});

test('--export-objects tftp writes the files tshark 4.0 writes from the corpus TFTP transfers', { skip: skipCorpus, timeout: 300_000 }, async () => {
  const captures = capturesOf(corpus!, 'TFTP');
  assert.ok(captures.length >= 1);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-eo-tftp-'));
  let objects = 0;
  try {
    for (const [i, pcap] of captures.entries()) {
      const mine = path.join(tmp, `tcpwatch${i}`), theirs = path.join(tmp, `tshark${i}`);
      const [a, b] = await Promise.all([
        runCli(['-r', pcap, '-q', '--export-objects', `tftp,${mine}`]),
        runCommand('tshark', ['-n', '-r', pcap, '-q', '--export-objects', `tftp,${theirs}`]),
      ]);
      assert.equal(b.status, 0, b.stderr);
      assert.equal(a.status, 0, a.stderr);
      const got = filesIn(mine), want = filesIn(theirs);
      assert.deepEqual([...got.keys()], [...want.keys()], pcap);
      for (const [name, bytes] of want) assert.equal(got.get(name), bytes, `${name} from ${pcap}`);
      objects += want.size;
    }
    assert.ok(objects >= 1, 'tshark exported no TFTP file');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
