// Decrypted TLS as tcpwatch's normal view, against tshark 4.0 with the same key logs: what the
// records carry (HTTP/1.1, HTTP/2, alerts, TLS 1.3 inner types) names the frame in the Protocol
// and Info columns, and every tls.*, http.* and http2.* field tshark prints that tcpwatch registers
// agrees. Real traffic recorded on loopback — curl against nginx (TLS 1.2 and 1.3, HTTP/1.1 and
// h2, a body over many records, a POST), openssl s_server answering a client that forces a
// HelloRetryRequest, 0-RTT early data on a resumed session, and key updates; a live capture whose
// key log the clients write while it runs — then the corpus's
// keyed captures against tshark's columns (test/fixtures/tls-keys-columns.json, made by
// scripts/gen-tls-keys-columns.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/app/features';
import { allFields, FT } from '../src/fields/registry';
import { Pipeline } from '../src/pipeline';
import { makeAnalyzers, MainOptions } from '../src/hooks';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import type { Dissection } from '../src/decode/dissection';
import { appSummary, infoColumn, protocolColumn } from '../src/output/summary';
import { CLI, corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { startTcpdump } from './helpers/tcpdump';
import { have, isRoot } from './helpers/system';
import { freePort, selfSignedCert, stopProcess, untilAccepting } from './helpers/loopback';
import { NGINX, startNginx } from './helpers/nginx';
import { keyedCaptures } from './helpers/tls-keys';

const corpus = corpusDir();
const required = process.env.TCPWATCH_REQUIRE_CORPUS === '1';
const canRecord = isRoot && have('tcpdump') && have('tshark') && have('curl') && have('openssl') && existsSync(NGINX);

/** Run `cmd` to its end, bounded in time; its stdout. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? process.env, input: opts.input, timeout: opts.timeout ?? 10_000, maxBuffer: 256 << 20 });
  return r.stdout ?? '';
}

/** A server on loopback until stopped; stdin held open (openssl s_server ends at its EOF). */
function startServer(cmd: string, args: string[], cwd: string): ChildProcess {
  return spawn(cmd, args, { cwd, stdio: ['pipe', 'ignore', 'pipe'] });
}

async function listening(port: number, proc: ChildProcess): Promise<void> {
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  if (!(await untilAccepting(port))) throw new Error(`no server on ${port}: ${err}`);
}

/** Agreement of tcpwatch with tshark over some frames, for the diagnostics table. */
class Tally {
  frames = 0;
  protocol = 0;
  info = 0;
  cells = 0;
  cellsAgree = 0;
  row(name: string): string {
    const pct = (a: number, b: number) => (b === 0 ? '  -   ' : `${((100 * a) / b).toFixed(2).padStart(6)}%`);
    return `${name.padEnd(28)} ${String(this.frames).padStart(6)} ${pct(this.protocol, this.frames)} ${pct(this.info, this.frames)} ${String(this.cells).padStart(7)} ${pct(this.cellsAgree, this.cells)}`;
  }
}
const TABLE_HEAD = `${'capture'.padEnd(28)} ${'frames'.padStart(6)} ${'Protocol'.padStart(7)} ${'Info'.padStart(7)} ${'cells'.padStart(7)} ${'fields'.padStart(7)}`;

/** tcpwatch's tls.*, http.*, http2.* fields that tshark 4.0 knows too and that carry a value (FT_NONE ones print differently in each). */
function sharedFields(): string[] {
  const theirs = new Set(run('tshark', ['-G', 'fields']).split('\n').map((l) => l.split('\t')[2]));
  return allFields()
    .filter((f) => /^(tls|http|http2)(\.|$)/.test(f.name) && f.type !== FT.None && theirs.has(f.name))
    .map((f) => f.name);
}

test('curl against nginx, openssl s_server with a HelloRetryRequest, 0-RTT and key updates: columns and fields as tshark reads them with the key log', { skip: !canRecord && !required && 'needs root, tcpdump, tshark, curl, openssl and nginx', timeout: 60_000 }, async (t) => {
  assert.ok(canRecord, 'root, tcpdump, tshark, curl, openssl and nginx (scripts/setup.sh installs them)');
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-decrypted-'));
  const servers: ChildProcess[] = [];
  try {
    const keylog = join(dir, 'keys.log');
    const { cert, key } = selfSignedCert(dir);
    writeFileSync(join(dir, 'index.html'), '<html><body>hello</body></html>\n');
    writeFileSync(join(dir, 'index.txt'), 'plain text without a length\n');
    // A body of many records: 40 KB of text.
    writeFileSync(join(dir, 'big.txt'), Array.from({ length: 800 }, (_, i) => `line ${i} of a body that spans TLS records`.padEnd(49) + '\n').join(''));
    const [web, hrr, early] = [await freePort(), await freePort(), await freePort()];
    servers.push(startNginx(dir, {
      port: web, root: dir, types: { html: 'text/html', txt: 'text/plain' },
      tls: { cert, key, protocols: 'TLSv1.2 TLSv1.3' }, http2: true,
      directives: ['location = /form { return 200 "thanks\\n"; }'],
    }).proc);
    // Only P-256: a client whose first key share is X25519 is asked to retry (RFC 8446 §4.1.4).
    servers.push(startServer('openssl', ['s_server', '-accept', `127.0.0.1:${hrr}`, '-cert', cert, '-key', key, '-groups', 'P-256', '-keylogfile', keylog, '-WWW', '-quiet'], dir));
    servers.push(startServer('openssl', ['s_server', '-accept', `127.0.0.1:${early}`, '-cert', cert, '-key', key, '-early_data', '-keylogfile', keylog, '-quiet'], dir));
    await listening(web, servers[0]);
    await listening(hrr, servers[1]);
    await listening(early, servers[2]);

    const pcap = join(dir, 'tls.pcap');
    const td = await startTcpdump(pcap, `tcp port ${web} or tcp port ${hrr} or tcp port ${early}`);
    const env = { ...process.env, SSLKEYLOGFILE: keylog };
    const url = (p: string) => `https://127.0.0.1:${web}${p}`;
    const curl = (args: string[]) => run('curl', ['-sk', '--max-time', '5', ...args], { env });
    curl(['--http1.1', url('/'), url('/big.txt'), url('/missing'), '-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null']);
    curl(['--http1.1', '-d', 'name=value', url('/form'), '-o', '/dev/null']);
    curl(['--http2', url('/'), url('/big.txt'), '-o', '/dev/null', '-o', '/dev/null']);
    curl(['--http2', '-d', 'name=value', url('/form'), '-o', '/dev/null']);
    curl(['--tls-max', '1.2', '--http2', url('/index.html'), '-o', '/dev/null']);
    curl(['--tls-max', '1.2', '--http1.1', url('/nosuch'), '-o', '/dev/null']);
    // HelloRetryRequest; the response has no Content-Length (HTTP/1.0, to the close)
    run('openssl', ['s_client', '-connect', `127.0.0.1:${hrr}`, '-groups', 'X25519:P-256', '-keylogfile', keylog, '-quiet', '-ign_eof'], { input: 'GET /index.txt HTTP/1.0\r\n\r\n', timeout: 5000 });
    curl(['--curves', 'X25519:P-256', `https://127.0.0.1:${hrr}/index.txt`, '-o', '/dev/null']);
    // a session to resume, then 0-RTT early data on it; then key updates (s_client's "k" command)
    const sess = join(dir, 'sess.pem');
    writeFileSync(join(dir, 'early.txt'), 'GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const sclient = (extra: string[], lines: string[]) => new Promise<void>((resolve) => {
      const c = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${early}`, '-keylogfile', keylog, ...extra], { stdio: ['pipe', 'ignore', 'ignore'] });
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      let i = 0;
      const next = (): void => {
        if (i < lines.length) { c.stdin!.write(lines[i++]); setTimeout(next, 150); } else c.stdin!.end();
      };
      setTimeout(next, 300);
      c.once('exit', () => { clearTimeout(timer); resolve(); });
    });
    await sclient(['-sess_out', sess], ['hello\n']);
    await sclient(['-sess_in', sess, '-early_data', join(dir, 'early.txt')], ['after the early data\n']);
    await sclient([], ['before\n', 'k\n', 'after one update\n', 'k\n', 'after two\n']);
    assert.equal(await td.stop(300), 0, 'tcpdump dropped nothing');
    assert.match(readFileSync(keylog, 'utf8'), /CLIENT_EARLY_TRAFFIC_SECRET/, 'the client wrote its early traffic secret');

    const fields = sharedFields();
    const cols = ['_ws.col.Protocol', '_ws.col.Info'];
    const args = (extra: string[]) => ['-n', '-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'frame.number', '-e', 'tcp.port', ...[...cols, ...fields].flatMap((f) => ['-e', f]), ...extra];
    const theirs = run('tshark', args([])).split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
    const ours = run(process.execPath, [CLI, ...args([])]).split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
    assert.equal(ours.length, theirs.length, 'frames');
    assert.ok(theirs.length > 100, `${theirs.length} frames recorded`);

    const tallies = new Map<string, Tally>([['nginx (curl)', new Tally()], ['s_server HRR', new Tally()], ['s_server 0-RTT, key update', new Tally()]]);
    const scenario = (ports: string) => (ports.split(',').includes(String(web)) ? 'nginx (curl)' : ports.split(',').includes(String(hrr)) ? 's_server HRR' : 's_server 0-RTT, key update');
    const problems: string[] = [];
    const seen = { http: 0, http2: 0, segment: 0, early: 0, keyUpdate: 0, hrr: 0 };
    for (let k = 0; k < theirs.length; k++) {
      const a = theirs[k], b = ours[k];
      const tally = tallies.get(scenario(a[1]))!;
      tally.frames++;
      if (a[2] === b[2]) tally.protocol++;
      else problems.push(`frame ${a[0]} Protocol: tshark "${a[2]}" tcpwatch "${b[2]}"`);
      if (a[3] === b[3]) tally.info++;
      else problems.push(`frame ${a[0]} Info: tshark "${a[3]}" tcpwatch "${b[3]}"`);
      for (let f = 0; f < fields.length; f++) {
        const x = a[4 + f] ?? '', y = b[4 + f] ?? '';
        if (x === '' && y === '') continue;
        tally.cells++;
        if (x === y) tally.cellsAgree++;
        else problems.push(`frame ${a[0]} ${fields[f]}: tshark "${x.slice(0, 120)}" tcpwatch "${y.slice(0, 120)}"`);
      }
      if (a[2] === 'HTTP') seen.http++;
      if (a[2] === 'HTTP2') seen.http2++;
      if (a[3].includes('[TLS segment of a reassembled PDU]')) seen.segment++;
      if (a[3].includes('GET /early')) seen.early++;
      if (a[3].includes('Key Update')) seen.keyUpdate++;
      if (a[3].includes('Hello Retry Request')) seen.hrr++;
    }
    t.diagnostic(TABLE_HEAD);
    for (const [name, tally] of tallies) t.diagnostic(tally.row(name));
    t.diagnostic(`${fields.length} fields compared; frames seen: ${JSON.stringify(seen)}`);
    // the capture holds what it is meant to test
    assert.ok(seen.http >= 8 && seen.http2 >= 8 && seen.segment >= 3 && seen.early >= 1 && seen.keyUpdate >= 2 && seen.hrr >= 2, JSON.stringify(seen));
    assert.deepEqual(problems.slice(0, 30), []);

    // -V and -T json show the HTTP that decrypted TLS carries, as cleartext HTTP's layer
    const request = theirs.find((c) => c[2] === 'HTTP' && c[3].startsWith('GET /big.txt'))![0];
    const details = run(process.execPath, [CLI, '-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-V', '-Y', `frame.number == ${request}`]);
    assert.match(details, /^Hypertext Transfer Protocol\n {4}GET \/big\.txt HTTP\/1\.1\\r\\n\n/m);
    assert.match(details, /\[Full request URI: https:\/\/127\.0\.0\.1:\d+\/big\.txt\]/);
    const json = JSON.parse(run(process.execPath, [CLI, '-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-T', 'json', '-Y', 'http2.headers.method == "POST"']));
    assert.equal(json.length, 1);
    assert.equal(json[0]._source.layers['frame']['frame.protocols'], 'eth:ethertype:ip:tcp:tls:http2');
    assert.ok(json[0]._source.layers.http2, 'the http2 layer is in the JSON');
    // -V: every HTTP/2 frame's tree as tshark's (Stream, flags, padding, each header with its
    // lengths, representation and table index, SETTINGS, WINDOW_UPDATE, a body's fragments …), one
    // tree per frame, with the text lines of a body that ends in it (tshark nests the protocols a
    // body is handed to in the HTTP/2 tree). An HTML form's items are not compared: tcpwatch does
    // not dissect urlencoded forms.
    let textTrees = 0;
    const http2Trees = (text: string): Map<string, string> => {
      const out = new Map<string, string>();
      let frame = '', inside = false, stream = false;
      for (const line of text.split('\n')) {
        const m = /^Frame (\d+):/.exec(line);
        if (m) frame = m[1];
        if (!line.startsWith(' ')) inside = line === 'HyperText Transfer Protocol 2';
        else if (/^ {4}\S/.test(line)) {
          const lines = line.startsWith('    Line-based text data: ');
          stream = line.startsWith('    Stream:') || lines;
          if (lines && inside) textTrees++;
        }
        if (inside && (stream || !line.startsWith(' '))) out.set(frame, (out.get(frame) ?? '') + line + '\n');
      }
      return out;
    };
    const vArgs = ['-n', '-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-V', '-Y', 'http2'];
    const theirTrees = http2Trees(run('tshark', vArgs));
    const theirTextTrees = textTrees;
    const ourTrees = http2Trees(run(process.execPath, [CLI, ...vArgs]));
    assert.ok(theirTrees.size >= 8, `${theirTrees.size} frames with HTTP/2`);
    assert.ok(theirTextTrees >= 1, `HTTP/2 bodies tshark shows as text lines: ${theirTextTrees}`);
    const treeDiffs: string[] = [];
    for (const [frame, tree] of theirTrees) {
      const mine = ourTrees.get(frame) ?? '';
      if (mine === tree) continue;
      const a = tree.split('\n'), b = mine.split('\n');
      let k = 0;
      while (k < a.length && a[k] === b[k]) k++;
      treeDiffs.push(`frame ${frame} line ${k + 1}: tshark "${a[k]}" tcpwatch "${b[k] ?? ''}"`);
    }
    t.diagnostic(`HTTP/2 trees (-V) equal to tshark's: ${theirTrees.size - treeDiffs.length}/${theirTrees.size} frames, ${theirTextTrees} bodies as text lines`);
    assert.deepEqual(treeDiffs, []);
    // display filters count the inner content types and read EncryptedExtensions' ALPN
    const count = (filter: string, tool: 'tshark' | 'tcpwatch') =>
      run(tool === 'tshark' ? 'tshark' : process.execPath, [...(tool === 'tshark' ? [] : [CLI]), '-n', '-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).split('\n').filter((l) => l !== '').join(',');
    for (const filter of ['tls.record.content_type == 23', 'tls.record.content_type == 22 && tls.record.opaque_type == 23', 'tls.handshake.extensions_alpn_str == "h2"', 'tls.alert_message.desc == 0', 'http2.type == 0 && http2.streamid == 3', 'http.response.code == 404']) {
      const mine = count(filter, 'tcpwatch');
      assert.equal(mine, count(filter, 'tshark'), filter);
      assert.notEqual(mine, '', `${filter} matches frames`);
    }

    // Live: the key log starts empty and the clients append to it while tcpwatch captures; each
    // connection decrypts all the same, row for row as tshark reads the finished capture.
    const liveKeys = join(dir, 'live.keys');
    // tcpwatch captures as an unprivileged user once the device is open: it must be able to read the key log
    writeFileSync(liveKeys, '', { mode: 0o644 });
    chmodSync(dir, 0o755);
    // and write its -w file there
    const liveDir = join(dir, 'live');
    mkdirSync(liveDir, { mode: 0o1777 });
    chmodSync(liveDir, 0o1777);
    const livePcap = join(liveDir, 'live.pcap');
    const filter = `tcp port ${web}`;
    // tshark reads the file tcpwatch writes while it prints: the same packets in the same order (two
    // captures of their own may order packets sent microseconds apart differently).
    const live = spawn(process.execPath, [CLI, '-i', 'lo', '-f', filter, '-w', livePcap, '-o', `tls.keylog_file:${liveKeys}`, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let liveOut = '', liveErr = '';
    live.stdout!.on('data', (b: Buffer) => (liveOut += b.toString()));
    live.stderr!.on('data', (b: Buffer) => (liveErr += b.toString()));
    const liveExit = new Promise((r) => live.once('exit', r));
    for (let i = 0; i < 100 && !liveErr.includes('listening on'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(liveErr, /listening on lo/);
    const liveEnv = { ...process.env, SSLKEYLOGFILE: liveKeys };
    run('curl', ['-sk', '--max-time', '5', '--http1.1', url('/'), url('/big.txt'), '-o', '/dev/null', '-o', '/dev/null'], { env: liveEnv });
    run('curl', ['-sk', '--max-time', '5', '--http2', url('/'), '-o', '/dev/null'], { env: liveEnv });
    // what the kernel flushes after the clients end still reaches the capture
    await new Promise((r) => setTimeout(r, 500));
    live.kill('SIGINT');
    await liveExit;
    assert.match(liveErr, / written to .*; 0 dropped by the kernel/, 'the live capture lost nothing');
    const liveRows = liveOut.split('\n').filter((l) => l !== '');
    const tsharkRows = run('tshark', ['-n', '-r', livePcap, '-o', `tls.keylog_file:${liveKeys}`, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info']).split('\n').filter((l) => l !== '');
    const liveTally = new Tally();
    const liveProblems: string[] = [];
    for (let k = 0; k < tsharkRows.length; k++) {
      const [p1, i1] = tsharkRows[k].split('\t'), [p2, i2] = (liveRows[k] ?? '').split('\t');
      liveTally.frames++;
      if (p1 === p2) liveTally.protocol++;
      if (i1 === i2) liveTally.info++;
      else liveProblems.push(`live frame ${k + 1}: tshark "${p1} ${i1}" tcpwatch "${p2} ${i2}"`);
    }
    t.diagnostic(liveTally.row('live, key log written after'));
    assert.equal(liveRows.length, tsharkRows.length, 'live frames');
    assert.ok(tsharkRows.filter((r) => r.startsWith('HTTP\t')).length >= 4 && tsharkRows.some((r) => r.startsWith('HTTP2\t')), 'the live capture decrypts to HTTP and HTTP/2');
    assert.deepEqual(liveProblems, []);
  } finally {
    for (const s of servers) await stopProcess(s);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the corpus\'s keyed captures: Protocol and Info as tshark\'s with the key logs (ARIA apart: tshark 4.0 cannot decrypt it)', { skip: corpus ? false : NO_CORPUS_REASON }, (t) => {
  const golden = JSON.parse(readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'tls-keys-columns.json'), 'utf8')) as { tool: string; captures: Record<string, [string, string][]> };
  const all = new Tally(), aria = new Tally();
  const problems: string[] = [];
  const captures = keyedCaptures(corpus!);
  assert.equal(captures.length, Object.keys(golden.captures).length, 'the golden file covers every keyed capture');
  for (const c of captures) {
    const expected = golden.captures[c.pcap];
    assert.ok(expected, c.pcap);
    const opts: MainOptions = { keylog: join(corpus!, 'tls-keys', c.keylog), pref: [], field: [], fieldOption: [], promiscuous: true, ui: false };
    const reader = new CaptureFileReader(join(corpus!, 'tls-keys', c.pcap));
    const ours: [string, string][] = [];
    const p = new Pipeline({ sink: { frame: (d: Dissection) => { const app = appSummary(d); ours.push([app?.protocol ?? protocolColumn(d), infoColumn(d, app)]); }, end() {} } as never, analyzers: makeAnalyzers(opts, reader) });
    const f = new CapturedFrame();
    try {
      while (reader.next(f)) p.handle(f);
    } finally {
      reader.close();
    }
    const tally = c.aria ? aria : all;
    assert.equal(ours.length, expected.length, c.pcap);
    for (let k = 0; k < expected.length; k++) {
      tally.frames++;
      if (ours[k][0] === expected[k][0]) tally.protocol++;
      if (ours[k][1] === expected[k][1]) tally.info++;
      else if (!c.aria) problems.push(`${c.pcap} frame ${k + 1}: tshark "${expected[k][1]}" tcpwatch "${ours[k][1]}"`);
    }
  }
  t.diagnostic(`golden: ${golden.tool}`);
  t.diagnostic(TABLE_HEAD);
  t.diagnostic(all.row(`${captures.filter((c) => !c.aria).length} captures`));
  t.diagnostic(aria.row(`${captures.filter((c) => c.aria).length} ARIA (tshark: no keys)`));
  for (const p of problems.slice(0, 10)) t.diagnostic(p);
  assert.ok(all.info / all.frames >= 0.99, `Info agrees on ${((100 * all.info) / all.frames).toFixed(2)}% of frames`);
  assert.ok(all.protocol / all.frames >= 0.99, `Protocol agrees on ${((100 * all.protocol) / all.frames).toFixed(2)}% of frames`);
});
