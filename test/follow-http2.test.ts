// -z follow,http2 and the UI's HTTP/2 Follow mode against tshark 4.0 run in the same test, on
// traffic recorded here: curl --http2 against nginx on lo, with the key log curl writes, one GET of
// a 40 KB file (a body of many DATA frames) and one POST. Every (TCP stream, HTTP/2 stream) pair
// tshark sees, and one HTTP/2 stream no connection has, followed in ascii, hex and raw, byte for
// byte; then, in tmux, Follow's HTTP/2 mode on the POST's connection shows the header lists and
// frames as tshark's follow,http2,ascii does, and m goes on from it to the TCP bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { have, isRoot } from './helpers/system';
import { startTcpdump } from './helpers/tcpdump';
import { freePort, selfSignedCert, stopProcess, untilAccepting } from './helpers/loopback';
import { NGINX, startNginx } from './helpers/nginx';
import { runCli, runCommand } from './helpers/parallel';
import { Tmux, haveTmux } from './helpers/tmux';

const required = process.env.TCPWATCH_REQUIRE_CORPUS === '1';
const canRecord = isRoot && have('tcpdump') && have('tshark') && have('curl') && have('openssl') && fs.existsSync(NGINX) && haveTmux();
const MODES = ['ascii', 'hex', 'raw'];
const RULE = '='.repeat(67);

/** Each followed block of the output, by "mode,stream,substream". */
function blocks(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const b of out.split(`\n${RULE}\nFollow: `).slice(1)) {
    const head = /^http2,(\w+)\nFilter: tcp\.stream eq (\d+) and http2\.streamid eq (\d+)\n/.exec(b);
    assert.ok(head !== null, `a follow block: ${b.slice(0, 100)}`);
    m.set(`${head[1]},${head[2]},${head[3]}`, b);
  }
  return m;
}

/** tshark's follow,http2,ascii chunks: each one's length and text, and whether node 1 sent it. */
function asciiChunks(block: string): { node1: boolean; length: number; text: string }[] {
  const lines = block.split('\n');
  const out: { node1: boolean; length: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\t?)(\d+)$/.exec(lines[i]);
    if (m === null) continue;
    // the text is the chunk's bytes, LF kept: as many lines as it takes to hold `length` characters
    const length = Number(m[2]);
    let text = lines[++i] ?? '';
    while (text.length < length && i + 1 < lines.length) text += '\n' + lines[++i];
    out.push({ node1: m[1] === '\t', length, text });
  }
  return out;
}

test('-z follow,http2 and Follow\'s HTTP/2 mode on curl --http2 against nginx: every HTTP/2 stream, every mode, as tshark', { skip: !canRecord && !required && 'needs root, tcpdump, tshark, curl, openssl, nginx and tmux', timeout: 40_000 }, async (t) => {
  assert.ok(canRecord, 'root, tcpdump, tshark, curl, openssl, nginx and tmux (scripts/setup.sh installs them)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-follow-h2-'));
  let nginx: ChildProcess | null = null;
  try {
    const keylog = path.join(dir, 'keys.log'), pcap = path.join(dir, 'h2.pcap');
    const { cert, key } = selfSignedCert(dir);
    // 40 KB: the body comes in several DATA frames, over many TLS records and TCP segments
    fs.writeFileSync(path.join(dir, 'big.txt'), Array.from({ length: 800 }, (_, i) => `line ${i} of an HTTP/2 body`.padEnd(49) + '\n').join(''));
    const port = await freePort();
    const server = startNginx(dir, {
      port, root: dir, types: { txt: 'text/plain' }, tls: { cert, key }, http2: true,
      directives: ['location = /form { return 200 "thanks\\n"; }'],
    }).proc;
    nginx = server;
    await untilAccepting(port);
    const td = await startTcpdump(pcap, `tcp port ${port}`);
    const env = { ...process.env, SSLKEYLOGFILE: keylog };
    const curl = (args: string[]) => spawnSync('curl', ['-sk', '--max-time', '5', '--http2', ...args, '-o', '/dev/null'], { env, stdio: 'ignore', timeout: 10_000 });
    curl([`https://127.0.0.1:${port}/big.txt`]);
    curl(['-d', 'name=value', `https://127.0.0.1:${port}/form`]);
    await td.stop(200);
    await stopProcess(server);

    // The pairs tshark sees: each frame's TCP stream and the HTTP/2 streams of its frames.
    const keyPref = ['-o', `tls.keylog_file:${keylog}`];
    const seen = await runCommand('tshark', ['-r', pcap, ...keyPref, '-Y', 'http2', '-T', 'fields', '-e', 'tcp.stream', '-e', 'http2.streamid']);
    const pairs = new Set<string>();
    for (const l of seen.stdout.split('\n')) {
      const [s, ids] = l.split('\t');
      if (ids !== undefined) for (const id of ids.split(',')) pairs.add(`${s},${id}`);
    }
    assert.ok(pairs.has('0,0') && pairs.has('0,1') && pairs.has('1,1'), `HTTP/2 streams read: ${[...pairs].join(' ')}`);
    // an HTTP/2 stream neither connection has: both name no node
    pairs.add('1,7');
    const z = [...pairs].flatMap((p) => MODES.flatMap((m) => ['-z', `follow,http2,${m},${p}`]));
    const [theirs, mine] = await Promise.all([runCommand('tshark', ['-r', pcap, ...keyPref, '-q', ...z]), runCli(['-r', pcap, '--keylog', keylog, '-q', ...z])]);
    assert.equal(mine.status, 0, mine.stderr);
    const want = blocks(theirs.stdout), got = blocks(mine.stdout);
    assert.equal(want.size, pairs.size * MODES.length);
    let agree = 0, withData = 0;
    for (const [k, b] of want) {
      assert.equal(got.get(k), b, `-z follow,http2,${k}`);
      agree++;
      if (b.split('\n').length > 6) withData++;
    }
    assert.equal(mine.stdout, theirs.stdout, 'every block, in tshark\'s order');
    t.diagnostic(`${pairs.size} (stream, HTTP/2 stream) pairs: ${agree} of ${want.size} follow,http2 blocks agree with tshark, ${withData} with data`);
    assert.equal(withData, (pairs.size - 1) * MODES.length);
    // the GET's body came whole: every DATA frame of it, 9-byte headers included
    const getRaw = want.get('raw,0,1')!.split('\n').filter((l) => l.startsWith('\t')).map((l) => Buffer.from(l.slice(1), 'hex'));
    const data = getRaw.filter((b) => b.length >= 9 && b[3] === 0 && b.readUIntBE(0, 3) === b.length - 9);
    assert.equal(data.reduce((n, b) => n + b.length - 9, 0), 800 * 50, 'the 40 KB body in the DATA frames');

    // The UI: Follow on the POST's connection, m to its HTTP/2 stream 1.
    const first = await runCommand('tshark', ['-r', pcap, '-Y', 'tcp.stream == 1', '-T', 'fields', '-e', 'frame.number']);
    const frame = Number(first.stdout.split('\n')[0]);
    const chunks = asciiChunks(want.get('ascii,1,1')!);
    assert.ok(chunks.length >= 4, `request headers and body, response headers and body: ${chunks.length} chunks`);
    const tm = Tmux.start(['-r', pcap, '--keylog', keylog], {}, 160, 50);
    try {
      await tm.waitForText('shown ');
      tm.keys(':');
      await tm.waitForText('Go to packet:');
      tm.keys(...String(frame).split(''), 'Enter');
      await tm.waitForText(`Packet details — frame ${frame}`);
      tm.keys('F');
      await tm.waitForText('Follow TLS stream 1 (ascii)');
      tm.keys('m');
      const s = await tm.waitForText('Follow HTTP/2 stream 1 of tcp.stream 1 (ascii)');
      // one piece per chunk of tshark's, in its order, each its length; the text as tshark prints it
      const headings = [...s.matchAll(/^── frame \d+, (\S+), (\d+) bytes$/gm)].map((m) => Number(m[2]));
      assert.deepEqual(headings, chunks.map((c) => c.length));
      for (const c of chunks) {
        for (const line of c.text.split(/\r?\n/)) {
          // lines longer than the view wrap: their first part is on one screen line
          const part = line.slice(0, 100);
          if (part.trim() !== '') assert.ok(s.includes(part), `HTTP/2 mode shows "${part}"`);
        }
      }
      assert.match(s, /:method\.\.\.\.POST\.\.\.\.:path\.\.\.\.\/form/);
      assert.match(s, /name=value/);
      assert.match(s, /thanks/);
      // leaving Follow filters the list to the HTTP/2 stream; Follow again comes back to it
      tm.keys('q');
      await tm.waitForText('tcp.stream eq 1 and http2.streamid eq 1');
      tm.keys('F');
      await tm.waitForText('Follow HTTP/2 stream 1 of tcp.stream 1 (ascii)');
      // nothing more on this connection than HTTP/2 stream 1: m goes on to the TCP bytes
      tm.keys('m');
      await tm.waitForText('Follow TCP stream 1 (ascii)');
    } finally {
      tm.kill();
    }
  } finally {
    if (nginx !== null) await stopProcess(nginx);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
