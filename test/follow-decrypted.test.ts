// -z follow,tls and -z follow,http against tshark 4.0 run in the same test, byte for byte, every TCP
// stream in each of the three modes (ascii, hex, raw): on every keyed capture of the corpus
// (tls-keys/, read as one concatenation with their key logs joined), on samples/lab.pcapng with the
// key log it embeds, follow,http on the corpus captures that carry plain HTTP/1.x, and on bodies
// recorded here (node's HTTP server and client on lo, tcpdump) in the encodings follow,http undoes
// or leaves out: gzip, deflate, br, chunked, compress, a body that is not what it says. One tshark
// and one tcpwatch run per capture print every stream's follow at once.
//
// Left out, with the reason: the snet ARIA-GCM captures, which tshark 4.0 cannot decrypt (its crypto
// library has no ARIA), so its follow,tls of them is empty while tcpwatch's is not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON, REPO_ROOT } from './helpers/corpus';
import { have, isRoot } from './helpers/system';
import { startTcpdump } from './helpers/tcpdump';
import { accepts } from './helpers/loopback';
import { keyedCaptures } from './helpers/tls-keys';
import { withConcatenated } from './helpers/concatenated';
import { runCli, runCommand } from './helpers/parallel';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : have('tshark') ? false : 'needs tshark';
const LAB = path.join(REPO_ROOT, 'samples', 'lab.pcapng');
const MODES = ['ascii', 'hex', 'raw'];
const RULE = '='.repeat(67);

/** The TCP stream numbers of a capture, as tshark numbers them. */
async function streams(file: string): Promise<number[]> {
  const r = await runCommand('tshark', ['-r', file, '-T', 'fields', '-e', 'tcp.stream']);
  return [...new Set(r.stdout.split('\n').filter((l) => l !== '').map(Number))].sort((a, b) => a - b);
}

/** Each followed stream's block of the output, by "proto,mode,stream". */
function blocks(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const b of out.split(`\n${RULE}\nFollow: `).slice(1)) {
    const head = /^(\w+),(\w+)\nFilter: tcp\.stream eq (\d+)\n/.exec(b);
    assert.ok(head !== null, `a follow block: ${b.slice(0, 80)}`);
    m.set(`${head[1]},${head[2]},${head[3]}`, b);
  }
  return m;
}

/** A block carries data: lines after its two Node lines, before the closing rule. */
const hasData = (b: string): boolean => b.split('\n').length > 6;

/**
 * Every stream of `file` followed as each of `protos` in every mode, by tshark (`tsharkKeys`: its
 * -o) and by tcpwatch (`ours`: its key options); returns how many blocks agree and how many of them carry data.
 */
async function compare(file: string, protos: string[], tsharkKeys: string[], ours: string[], where: (stream: number) => string): Promise<{ agree: number; withData: number; total: number }> {
  const ids = await streams(file);
  const z = ids.flatMap((s) => protos.flatMap((p) => MODES.flatMap((m) => ['-z', `follow,${p},${m},${s}`])));
  const [theirs, mine] = await Promise.all([
    runCommand('tshark', ['-r', file, ...tsharkKeys, '-q', ...z]),
    runCli(['-r', file, ...ours, '-q', ...z]),
  ]);
  assert.equal(mine.status, 0, mine.stderr);
  const want = blocks(theirs.stdout), got = blocks(mine.stdout);
  assert.equal(want.size, ids.length * protos.length * MODES.length);
  let agree = 0, withData = 0;
  for (const [key, b] of want) {
    const stream = Number(key.split(',')[2]);
    assert.equal(got.get(key), b, `-z follow,${key} (${where(stream)})`);
    agree++;
    if (hasData(b)) withData++;
  }
  // and in tshark's order, the last -z first
  assert.equal(mine.stdout, theirs.stdout);
  return { agree, withData, total: want.size };
}

test('-z follow,tls and follow,http on every keyed capture of the corpus: every stream, every mode, as tshark prints it', { skip, timeout: 60_000 }, async (t) => {
  const keyed = keyedCaptures(corpus!).filter((k) => !k.aria);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-follow-'));
  try {
    const keylog = path.join(dir, 'keys.log');
    // Key log lines are keyed by the Client Hello's random: one file serves every connection.
    fs.writeFileSync(keylog, keyed.map((k) => fs.readFileSync(path.join(corpus!, 'tls-keys', k.keylog), 'utf8') + '\n').join(''));
    const files = keyed.map((k) => path.join(corpus!, 'tls-keys', k.pcap));
    await withConcatenated(files, async (c) => {
      // Which capture a stream is of: the capture its first frame is in.
      const first = await runCommand('tshark', ['-r', c.file, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.stream', '-Y', 'tcp']);
      const firstFrame = new Map<number, number>();
      for (const l of first.stdout.split('\n')) {
        const [n, s] = l.split('\t');
        if (s !== undefined && !firstFrame.has(Number(s))) firstFrame.set(Number(s), Number(n));
      }
      const r = await compare(c.file, ['tls', 'http'], ['-o', `tls.keylog_file:${keylog}`], ['--keylog', keylog], (s) => c.where(firstFrame.get(s) ?? 1));
      t.diagnostic(`${keyed.length} captures: ${r.agree} of ${r.total} follow blocks agree with tshark, ${r.withData} of them with data`);
      assert.ok(r.withData >= keyed.length, `decrypted data followed in ${r.withData} blocks`);
    }, (f) => path.relative(path.join(corpus!, 'tls-keys'), f));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-z follow,tls and follow,http on samples/lab.pcapng with the key log it embeds: every stream, every mode', { skip, timeout: 30_000 }, async (t) => {
  const r = await compare(LAB, ['tls', 'http', 'tcp'], [], [], (s) => `lab.pcapng stream ${s}`);
  t.diagnostic(`${r.agree} of ${r.total} follow blocks agree with tshark, ${r.withData} with data`);
  // the two HTTPS connections: their requests and responses, headers and bodies (one chunked)
  assert.ok(r.withData >= 3 * 3 * 2, `${r.withData} blocks with data`);
});

test('-z follow,http on the corpus captures of plain HTTP/1.x: every stream, every mode', { skip, timeout: 30_000 }, async (t) => {
  const files = ['ja4/http1-with-cookies.pcapng', 'ja4/https-connect.pcap', 'tcpdump/print-flags.pcap', 'ja4/CVE-2018-6794.pcap',
    'ja4/latest.pcapng', 'ja4/tls3.pcapng', 'tcpdump/accecn_handshake.pcap', 'ja4/single-packets.pcap'].map((f) => path.join(corpus!, 'valid', f));
  await withConcatenated(files, async (c) => {
    const r = await compare(c.file, ['http'], [], [], (s) => `stream ${s} of ${files.map((f) => path.basename(f)).join(', ')}`);
    t.diagnostic(`${files.length} captures: ${r.agree} of ${r.total} follow blocks agree with tshark, ${r.withData} with data`);
    assert.ok(r.withData >= files.length * MODES.length, `${r.withData} blocks with data`);
  });
});

/** Responses in the encodings Wireshark's HTTP undoes (gzip, deflate, br, chunked) and those it leaves to its data dissector. */
const BODY = Buffer.from('tcpwatch follows HTTP bodies as tshark does.\n'.repeat(40));
const ROUTES: Record<string, (res: http.ServerResponse) => void> = {
  '/gzip': (res) => { res.setHeader('content-encoding', 'gzip'); res.end(zlib.gzipSync(BODY)); },
  '/deflate': (res) => { res.setHeader('content-encoding', 'deflate'); res.end(zlib.deflateSync(BODY)); },
  '/br': (res) => { res.setHeader('content-encoding', 'br'); res.end(zlib.brotliCompressSync(BODY)); },
  '/chunked-gzip': (res) => { res.setHeader('content-encoding', 'gzip'); const z = zlib.gzipSync(BODY); res.write(z.subarray(0, 100)); res.write(z.subarray(100)); res.end(); },
  '/chunked': (res) => { res.write('first chunk\n'); res.write('second chunk\n'); res.end(); },
  '/compress': (res) => { res.setHeader('content-encoding', 'compress'); res.end(Buffer.from([0x1f, 0x9d, 0x90, 0x41, 0x00])); },
  '/bad-gzip': (res) => { res.setHeader('content-encoding', 'gzip'); res.end('not gzip at all'); },
  '/empty': (res) => { res.statusCode = 204; res.end(); },
};

// Port 8080 is one of Wireshark's HTTP ports: both read the conversation as HTTP without a heuristic.
const recordSkip = skip || (!isRoot ? 'needs root for tcpdump' : !have('tcpdump') ? 'needs tcpdump' : false);

test('-z follow,http on bodies recorded on lo: gzip, deflate and br uncompressed, chunks joined, other encodings left out, as tshark', { skip: recordSkip, timeout: 30_000 }, async (t) => {
  if (await accepts(8080)) { t.skip('port 8080 is in use'); return; }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-follow-http-'));
  const pcap = path.join(dir, 'encodings.pcap');
  const server = http.createServer((req, res) => (ROUTES[req.url ?? ''] ?? ((r: http.ServerResponse) => { r.statusCode = 404; r.end('no\n'); }))(res));
  try {
    const td = await startTcpdump(pcap, 'tcp port 8080');
    await new Promise<void>((ok) => server.listen(8080, '127.0.0.1', ok));
    // one keep-alive connection for the GETs, a second one for a POST with a body
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (const p of [...Object.keys(ROUTES), '/missing']) {
      await new Promise((ok) => http.get({ host: '127.0.0.1', port: 8080, path: p, agent }, (r) => { r.resume(); r.on('end', ok); }));
    }
    agent.destroy();
    await new Promise((ok) => {
      const q = http.request({ host: '127.0.0.1', port: 8080, method: 'POST', path: '/chunked', headers: { 'content-type': 'text/plain' } }, (r) => { r.resume(); r.on('end', ok); });
      q.end('posted body\n');
    });
    await new Promise((ok) => server.close(ok));
    await td.stop(200);
    const r = await compare(pcap, ['http'], [], [], (s) => `stream ${s} of the recorded capture`);
    t.diagnostic(`${r.agree} of ${r.total} follow blocks agree with tshark, ${r.withData} with data`);
    assert.equal(r.withData, r.total);
    // the three compressed bodies and the chunked one came out whole
    const ascii = (await runCli(['-r', pcap, '-q', '-z', 'follow,http,ascii,0'])).stdout;
    assert.equal(ascii.split(BODY.toString()).length - 1, 4, 'gzip, deflate, br, chunked gzip: the body, uncompressed');
    assert.match(ascii, /\t25\nfirst chunk\nsecond chunk\n/);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
