// The UI in a real terminal: tcpwatch runs in tmux (160x50), keys go in with send-keys and the
// screen comes back with capture-pane -e, colours included. Captures: the corpus, a chat exchange
// recorded on loopback with the lab's own server and client, and a crafted capture whose payload
// carries terminal escape sequences that must never reach the terminal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/app/features';
import { hooks } from '../src/hooks';
import { startChatServer, runLabChatExchange } from '../src/lab/chat';
import { BINDINGS } from '../src/ui/keys';
import { corpusDir, NO_CORPUS_REASON, CLI } from './helpers/corpus';
import { Tmux, haveTmux, lineWith, plain, rowSgr, sgrAt, plainIndex, highlightedBytes } from './helpers/tmux';
import { writeConversation } from './helpers/crafted-tcp';

const corpus = corpusDir();
const noTmux = haveTmux() ? false : 'tmux is not installed';
const skip = noTmux || (corpus === null ? NO_CORPUS_REASON : false);
const DNS_TCP = corpus ? path.join(corpus, 'valid/tcpdump/dns_tcp.pcap') : '';
const TLS13 = corpus ? path.join(corpus, 'valid/local/ipv6-tls13.pcap') : '';

const ESC = '\x1b';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function withTmux(args: string[], env: Record<string, string>, fn: (t: Tmux) => Promise<void>, width = 160, height = 50): Promise<void> {
  const t = Tmux.start(args, env, width, height);
  return fn(t).finally(() => t.kill());
}

test('packet list: rows, columns and colours of a DNS-over-TCP conversation', { skip }, () =>
  withTmux(['-r', DNS_TCP], {}, async (t) => {
    let s = await t.waitForText('shown 11 / 11');
    await t.waitForText('colour rule: TCP SYN / SYN-ACK'); // rows are coloured as the rules are evaluated
    s = t.screen();
    const lines = s.split('\n');
    assert.match(lines[0], /Display filter: none/);
    assert.match(lines[1], /No\.\s+Time\s+Source\s+Destination\s+Protocol\s+Length\s+Info/);
    assert.match(lines[2], /^▶\s+1 0\.000000\s+192\.168\.1\.11\s+209\.87\.249\.18\s+TCP\s+74 33779 → 53 \[SYN\] Seq=0 Win=64240 Len=0 MSS=1460/);
    assert.match(lines[3], /2 0\.126619\s+209\.87\.249\.18\s+192\.168\.1\.11\s+TCP\s+60 53 → 33779 \[SYN, ACK\] Seq=0 Ack=1/);
    // the query and its answer read as DNS, as in tshark
    assert.match(lines[5], /4 0\.127034\s+192\.168\.1\.11\s+209\.87\.249\.18\s+DNS\s+112 Standard query 0x4319 A www\.tcpdump\.org OPT/);
    assert.match(lines[12], /11 0\.380967 .* \[ACK\] Seq=60 Ack=228/);
    assert.match(s, /file: .*dns_tcp\.pcap/);

    const e = t.screen(true);
    // share/colorfilters: the handshake (SYN, SYN/ACK, the third ACK) aquamarine; the selected row
    // keeps its colours and is bold and underlined
    assert.equal(rowSgr(e, '     1 0.000000'), '1;4;38;5;16;48;5;79');
    assert.equal(rowSgr(e, '     2 0.126619'), '38;5;16;48;5;79');
    assert.equal(rowSgr(e, '     3 0.126771'), '38;5;16;48;5;79');
    // data segments (PSH) pale cyan, the FINs blue; every coloured row has a background
    assert.equal(rowSgr(e, '     4 0.127034'), '38;5;16;48;5;195');
    assert.equal(rowSgr(e, '     8 0.254555'), '38;5;16;48;5;147');
    assert.equal(rowSgr(e, '    10 0.380895'), '38;5;16;48;5;147');
    // a bare ACK no rule matches keeps the terminal's colours
    assert.equal(rowSgr(e, '     5 0.127168'), '');

    // details of packet 1 and its bytes (the tree is built just after the first rows are drawn)
    s = await t.waitForText('Transmission Control Protocol, Src Port');
    assert.match(s, /Packet details — frame 1/);
    assert.match(s, /▸ Ethernet II, Src: /);
    assert.match(s, /▾ Transmission Control Protocol, Src Port: 33779, Dst Port: 53, Seq: 0, Len: 0/);
    assert.match(s, /Source Port: 33779/);
    assert.match(s, /^0000  [0-9a-f]{2}( [0-9a-f]{2}){15}   /m);

    // move to packet 4, into the details pane, select "Source Port" and see its two bytes highlighted
    t.keys('j', 'j', 'j');
    await t.waitForText('Packet details — frame 4');
    t.keys('Tab');
    await t.waitFor((x) => /▶▸ Frame 4/.test(x), 'details focus on the Frame node');
    for (let k = 0; k < 4; k++) t.keys('j');
    const d = await t.waitFor((x) => /▶\s+Source Port: 33779/.test(x), 'Source Port selected');
    assert.match(d, /Source Port: 33779/);
    const hex = await t.waitFor((x) => /0020  [^\n]*48;5;179m83 f3/.test(x), 'the port bytes highlighted', 4000, true);
    // 33779 = 0x83f3, at offset 0x22 of the frame (14 Ethernet + 20 IPv4)
    const row = lineWith(hex, '0020  ');
    assert.equal(sgrAt(row, plainIndex(row, '83 f3')), '1;38;5;16;48;5;179');
    assert.equal(sgrAt(row, plainIndex(row, '0020')), '');
  }));

test('-c N opens only the first N packets of the file, as it reads only those headless', { skip }, () =>
  withTmux(['-r', DNS_TCP, '-c', '7'], {}, async (t) => {
    const s = await t.waitForText('shown 7 / 7');
    assert.match(s, /\n\s+7 0\.\d{6}\s+/);
    assert.doesNotMatch(s, /\n\s+8 0\.\d{6}\s+/);
    t.keys(':');
    await t.waitForText('Go to packet:');
    t.keys('9', 'Enter');
    await t.waitForText('there are 7 packets');
  }));

test('R turns name resolution off and on in the packet list: with it, the names tshark -2 -N dn -H gives (a hosts file\'s, the capture\'s DNS answers)', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-names-'));
  const hosts = path.join(dir, 'hosts');
  // The client from the file; the server (209.87.249.18) as the capture's own DNS answer names it.
  fs.writeFileSync(hosts, '192.168.1.11 dns-client.example\n');
  const theirs = spawnSync('tshark', ['-2', '-N', 'dn', '-H', hosts, '-r', DNS_TCP, '-T', 'fields', '-e', '_ws.col.Source', '-e', '_ws.col.Destination'], { encoding: 'utf8' });
  assert.equal(theirs.status, 0, theirs.stderr);
  const [first, second] = theirs.stdout.trim().split('\n').slice(0, 2).map((l) => l.split('\t'));
  assert.deepEqual(first, ['dns-client.example', 'nic.sandelman.ca']);
  try {
    await withTmux(['-r', DNS_TCP, '-N', 'n', '-H', hosts], {}, async (t) => {
      const named = (): void => {
        const lines = t.screen().split('\n');
        assert.match(lines[2], new RegExp(`1 0\\.000000\\s+${first[0]}\\s+${first[1]}\\s+TCP`));
        assert.match(lines[3], new RegExp(`2 0\\.126619\\s+${second[0]}\\s+${second[1]}\\s+TCP`));
      };
      await t.waitForText('shown 11 / 11');
      named();
      t.keys('R');
      await t.waitForText('name resolution off');
      assert.match(t.screen().split('\n')[2], /1 0\.000000\s+192\.168\.1\.11\s+209\.87\.249\.18\s+TCP/);
      t.keys('R');
      await t.waitForText('name resolution on');
      named();
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('time formats, go to packet, help listing every key, resize and quit', { skip }, () =>
  withTmux(['-r', DNS_TCP], {}, async (t) => {
    await t.waitForText('shown 11 / 11');
    t.keys('T');
    let s = await t.waitForText('time: absolute');
    // TZ=UTC in the test terminal
    assert.match(lineWith(s, ' 192.168.1.11 '), /1\s+20\d\d-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\s+192\.168\.1\.11/);
    t.keys('T');
    s = await t.waitForText('time: delta');
    assert.match(s, /\n\s+2 0\.126619\s/);
    t.keys('T');
    s = await t.waitForText('time: epoch');
    assert.match(s, /\n\s+2 \d{10}\.\d{6}\s/);
    t.keys('T');
    await t.waitForText('time: relative');

    t.keys(':');
    await t.waitForText('Go to packet:');
    t.keys('7', 'Enter');
    s = await t.waitForText('Packet details — frame 7');
    assert.match(s, /▶\s+7 0\.252931/);
    t.keys('G');
    await t.waitForText('Packet details — frame 11');
    t.keys('g');
    await t.waitForText('Packet details — frame 1');

    t.keys('?');
    s = await t.waitForText('tcpwatch — keys');
    await sleep(100);
    let all = t.screen();
    // the help is longer than a screen: read it a page at a time to its end
    for (let page = 0, last = all; page < 12; page++) {
      t.keys('PageDown');
      await sleep(150);
      const next = t.screen();
      if (next === last) break;
      all += next;
      last = next;
    }
    for (const b of BINDINGS) assert.ok(all.includes(b.help), `help lists "${b.help}"`);
    // the colouring rules in use, each in its colours, and where they came from
    assert.match(all, /Colouring rules \(256 colours\).*share\/colorfilters/);
    assert.match(all, /TCP SYN \/ SYN-ACK\s+tcp\.flags\.syn == 1/);
    t.keys('Escape');
    await t.waitForText('Display filter:');

    t.resize(100, 30);
    s = await t.waitFor((x) => x.split('\n').length >= 30 && /shown 11 \/ 11/.test(x.split('\n')[29] ?? ''), 'status bar on the last line after resize');
    assert.match(s.split('\n')[1], /No\.\s+Time\s+Source/);

    t.keys('q');
    await t.waitForText('[tcpwatch exited 0]');
  }));

test('follow TCP stream: client and server payload in two colours with byte counts; conversations filter to a stream', { skip }, () =>
  withTmux(['-r', TLS13], {}, async (t) => {
    await t.waitForText('shown 36 / 36');
    t.keys('F');
    let s = await t.waitForText('Follow TCP stream 0');
    assert.match(s, /client ::1:41150 → 717 bytes/);
    assert.match(s, /server ::1:4433 → 7079 bytes/);
    assert.match(s, /frame 4, ::1:41150, 517 bytes, TLS Handshake/);
    const e = t.screen(true);
    assert.equal(rowSgr(e, '0000  16 03 01 02 00 01'), '38;5;210'); // client colour
    assert.equal(rowSgr(e, '0000  16 03 03 00 7a 02'), '38;5;117'); // server colour
    t.keys('End');
    s = await t.waitForText('frame 16, ::1:41150, 24 bytes');
    // leaving Follow filters the list to the stream
    t.keys('Escape');
    await t.waitForText('Display filter: tcp.stream eq 0');
    await t.waitForText('shown 19 / 36');
    t.keys('x');
    await t.waitForText('shown 36 / 36');

    t.keys('C');
    s = await t.waitForText('TCP conversations: 2');
    assert.match(s, /0\s+::1\s+41150\s+::1\s+4433\s+19\s+9\.2 KiB\s+11\s+1\.6 KiB\s+8\s+7\.6 KiB/);
    t.keys('j', 'Enter');
    s = await t.waitForText('shown 17 / 36');
    assert.match(s, /Display filter: tcp\.stream == 1/);
    assert.match(s, /▶\s+20 0\.009446/);
    t.keys('x');
    await t.waitForText('shown 36 / 36');
  }));

test('TLS: Client Hello and Server Hello stand out from every other row', { skip }, () =>
  withTmux(['-r', TLS13], {}, async (t) => {
    await t.waitForText('shown 36 / 36');
    const s = await t.waitForText('colour rule: TCP SYN / SYN-ACK');
    const e = t.screen(true);
    const hello = rowSgr(e, '     4 0.001220');
    const serverHello = rowSgr(e, '     6 0.002257');
    assert.match(lineWith(s, '     4 0.001220'), /Client Hello/);
    assert.match(lineWith(s, '     6 0.002257'), /Server Hello/);
    assert.equal(hello, '38;5;16;48;5;214'); // orange
    assert.equal(serverHello, hello);
    const others = new Set<string>();
    for (const line of s.split('\n')) {
      const m = /^.\s+(\d+) 0\.0\d+ /.exec(line);
      if (m === null || m[1] === '4' || m[1] === '6') continue;
      others.add(rowSgr(e, line.slice(1, 16)).replace(/^1;4;/, ''));
    }
    assert.ok(others.size >= 4, 'rows of several other kinds are on screen');
    assert.ok(!others.has(hello), `no other row looks like a Hello: ${[...others].join(' | ')}`);
  }));

test('16 colours and NO_COLOR: handshake, teardown, reset and Hello rows stay distinguishable', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-'));
  try {
    const file = path.join(dir, 'reset.pcap');
    writeConversation(file, Buffer.from('ok'), true);
    await withTmux(['-r', file], { TCPWATCH_COLORS: '16' }, async (t) => {
      await t.waitForText('shown 9 / 9');
      await t.waitForText('colour rule: TCP SYN / SYN-ACK');
      const e = t.screen(true);
      assert.equal(rowSgr(e, '     2 0.000100'), '30;106'); // SYN/ACK: black on bright cyan
      assert.equal(rowSgr(e, '     6 0.000500'), '30;104'); // FIN: black on bright blue
      assert.equal(rowSgr(e, '     9 0.000800'), '93;41'); // RST: bright yellow on red
    });
    // A terminal with 8 colours (TERM=xterm): the 16-colour theme folded onto 8 by blessed stays distinct.
    await withTmux(['-r', file], { TERM: 'xterm' }, async (t) => {
      await t.waitForText('shown 9 / 9');
      await t.waitForText('colour rule: TCP SYN / SYN-ACK');
      const e = t.screen(true);
      const syn = rowSgr(e, '     2 0.000100'), fin = rowSgr(e, '     6 0.000500'), rst = rowSgr(e, '     9 0.000800');
      assert.equal(syn, '30;46');
      assert.equal(fin, '30;44');
      assert.equal(rst, '33;41');
    });
    await withTmux(['-r', file], { NO_COLOR: '1' }, async (t) => {
      await t.waitForText('shown 9 / 9');
      const e = t.screen(true);
      assert.doesNotMatch(e, /\x1b\[[0-9;]*(3[0-7]|9[0-7]|4[0-7]|10[0-7]|38;5;\d+|48;5;\d+)m/, 'no colour at all');
      assert.equal(rowSgr(e, '     2 0.000100'), '1'); // handshake: bold
      assert.equal(rowSgr(e, '     6 0.000500'), '4'); // teardown: underline
      assert.equal(rowSgr(e, '     9 0.000800'), '1;4'); // reset: bold and underline
    });
    await withTmux(['-r', TLS13], { NO_COLOR: '1' }, async (t) => {
      await t.waitForText('shown 36 / 36');
      const e = t.screen(true);
      assert.equal(rowSgr(e, '     4 0.001220'), '7'); // Client Hello: reverse
      assert.equal(rowSgr(e, '     6 0.002257'), '7');
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('escape sequences in a payload never reach the terminal: screen and window title untouched', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-'));
  try {
    const file = path.join(dir, 'evil.pcap');
    const evil = Buffer.concat([
      Buffer.from(`GET /${ESC}]0;pwned by a packet\x07 HTTP/1.1\r\n${ESC}[2J${ESC}[H${ESC}[31mred\r\n`),
      Buffer.from([0x9b, 0x33, 0x31, 0x6d, 0xff, 0xfe, 0x0a]), // C1 CSI and invalid UTF-8
      Buffer.from(`{bold}{red-fg}tags{/}\r\n`),
    ]);
    writeConversation(file, evil, false);
    await withTmux(['-r', file], {}, async (t) => {
      await t.waitForText('shown 8 / 8');
      const title = t.paneTitle();
      assert.doesNotMatch(title, /pwned/);
      // select the data segment: the details show the payload as bytes, the hex pane as dots
      t.keys('j', 'j', 'j');
      let s = await t.waitForText('Packet details — frame 4');
      assert.doesNotMatch(s, /pwned/);
      t.keys('F');
      s = await t.waitForText('Follow TCP stream 0');
      // shown escaped, as text
      assert.match(s, /GET \/\\x1b\]0;pwned by a packet\\x07 HTTP\/1\.1/);
      assert.match(s, /\\x1b\[2J\\x1b\[H\\x1b\[31mred/);
      assert.match(s, /\\x9b31m\\xff\\xfe/);
      assert.match(s, /\{bold\}\{red-fg\}tags\{\/\}/);
      const e = t.screen(true);
      assert.doesNotMatch(e, /\x1b\[31m/, 'the payload\'s SGR did not colour anything');
      t.keys('Escape');
      await t.waitForText('Display filter: tcp.stream eq 0');
      s = await t.waitForText('shown 8 / 8');
      // the list is still on screen: nothing cleared it
      assert.match(s, /No\.\s+Time\s+Source/);
      assert.match(s, /\s+1 0\.000000000\s+10\.0\.0\.1\s+10\.0\.0\.2\s+TCP/);
      assert.equal(t.paneTitle(), title);
      assert.doesNotMatch(t.paneTitle(), /pwned/);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const filterModule = hooks.compileFilter ? false : 'the display-filter module is not registered in src/app/features.ts';

test('display filter prompt: red with the error and its column while wrong, green when valid, history', { skip: skip || filterModule }, () =>
  withTmux(['-r', DNS_TCP], {}, async (t) => {
    await t.waitForText('shown 11 / 11');
    t.keys('/');
    await t.waitForText('Filter:');
    t.literal('tcp.prot == 53');
    let s = await t.waitForText(/✗ column 1: .*tcp\.prot/);
    let e = t.screen(true);
    assert.equal(rowSgr(e, 'cp.prot == 53'), '1;38;5;231;48;5;160'); // red prompt
    assert.equal(rowSgr(e, 'tcp.prot == 53'), '1;4;38;5;228;48;5;88'); // the column of the mistake marked
    t.keys('C-u');
    t.literal('tcp.flags.syn == 1');
    s = await t.waitFor((x) => x.includes('Filter: tcp.flags.syn == 1') && !x.includes('✗'), 'the valid filter, without error');
    e = t.screen(true);
    assert.equal(rowSgr(e, 'tcp.flags.syn == 1'), '38;5;16;48;5;151'); // green prompt
    t.keys('Enter');
    s = await t.waitForText('shown 2 / 11');
    assert.match(s, /Display filter: tcp\.flags\.syn == 1/);
    assert.match(s, /\s+1 0\.000000 .*\[SYN\]/);
    assert.match(s, /\s+2 0\.126619 .*\[SYN, ACK\]/);
    t.keys('/');
    await t.waitForText('Filter:');
    t.keys('C-u');
    t.literal('tcp.len > 0');
    await t.waitForText('Filter: tcp.len > 0');
    t.keys('Enter');
    s = await t.waitForText('Display filter: tcp.len > 0');
    s = await t.waitForText('shown 2 / 11');
    assert.match(s, /\s4 0\.127034 .*DNS .*Standard query 0x4319/);
    assert.match(s, /\s6 0\.252891 .*DNS .*Standard query response 0x4319/);
    // history: Up brings back the previous filters
    t.keys('/');
    await t.waitForText('Filter:');
    t.keys('C-u', 'Up');
    await t.waitFor((x) => /Filter: tcp\.len > 0/.test(x), 'history 1');
    t.keys('Up');
    await t.waitFor((x) => /Filter: tcp\.flags\.syn == 1/.test(x), 'history 2');
    // Typing while a filter runs cancels it: Enter, '/' and a key reach the UI in one read, before
    // the filter has had a slice of time.
    t.keys('Enter', '/', 'x');
    s = await t.waitForText('filter cancelled');
    assert.match(s, /shown 11 \/ 11/);
    assert.match(s, /Filter: tcp\.flags\.syn == 1x/);
    t.keys('Escape');
  }));

test('statistics dashboard: rates over time, protocol and flag mix, top talkers, TLS versions', { skip }, () =>
  withTmux(['-r', TLS13], {}, async (t) => {
    await t.waitForText('shown 36 / 36');
    t.keys('S');
    const s = await t.waitForText('Statistics: 36 packets');
    assert.match(s, /packets\/s \(every \d+ ms\)/);
    assert.match(s, /bytes\/s \(every \d+ ms\)/);
    assert.match(s, /protocols \(packets\)/);
    for (const [flag, n] of [['SYN', 2], ['SYN/ACK', 2], ['ACK', 11], ['PSH', 17], ['FIN', 4], ['RST', 0]] as const) {
      assert.match(s, new RegExp(`│${flag.replace('/', '\\/')}\\s+${n} `), `${flag} ${n}`);
    }
    assert.match(s, /::1\s+36\s+17\.3 KiB/);
    assert.match(s, /TLS 1\.3\s+1/);
    t.keys('Escape');
    await t.waitForText('Display filter:');
  }));

test('-Y applies a display filter from the command line; a wrong one is a one-line error before the screen opens', { skip: skip || filterModule }, async () => {
  await withTmux(['-r', DNS_TCP, '-Y', 'tcp.len > 0'], {}, async (t) => {
    const s = await t.waitForText('shown 2 / 11');
    assert.match(s, /Display filter: tcp\.len > 0/);
  });
  await withTmux(['-r', DNS_TCP, '-Y', 'tcp.len >'], {}, async (t) => {
    const s = await t.waitForText('[tcpwatch exited 2]');
    assert.match(s, /^tcpwatch: display filter error at column \d+/m);
  });
});

const canCapture = process.getuid?.() === 0 && spawnSync('tcpdump', ['--version']).status === 0;

test('a chat exchange recorded on loopback: handshake, "Hey" and "Hi", teardown, followed in two colours', { skip: skip || (canCapture ? false : 'needs root and tcpdump') }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-chat-'));
  const pcap = path.join(dir, 'chat.pcap');
  const server = await startChatServer({ host: '127.0.0.1', port: 0, closeAfterReply: true });
  try {
    const dump = spawn('tcpdump', ['-i', 'lo', '-n', '--immediate-mode', '-U', '-w', pcap, `tcp port ${server.port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    dump.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const t0 = Date.now();
    while (!err.includes('listening on') && Date.now() - t0 < 5000) await sleep(20);
    await runLabChatExchange({ host: '127.0.0.1', port: server.port, closeDelayMs: 50 });
    await sleep(150);
    const exited = new Promise<void>((r) => dump.on('close', () => r()));
    dump.kill('SIGINT');
    await exited;
    await withTmux(['-r', pcap], {}, async (t) => {
      await t.waitForText('shown 11 / 11');
      const s = await t.waitForText('colour rule: TCP SYN / SYN-ACK');
      const e = t.screen(true);
      assert.match(lineWith(s, '     1 '), /127\.0\.0\.1\s+127\.0\.0\.1\s+TCP .*\[SYN\] Seq=0/);
      assert.equal(rowSgr(e, '     2 '), '38;5;16;48;5;79'); // SYN/ACK
      assert.equal(rowSgr(e, '     3 '), '38;5;16;48;5;79'); // the handshake's final ACK
      assert.match(lineWith(s, '     4 '), /\[PSH, ACK\] Seq=1 Ack=1 .*Len=3/);
      assert.equal(rowSgr(e, '     4 '), '38;5;16;48;5;195');
      assert.match(lineWith(s, '     8 '), /\[FIN, ACK\]/);
      assert.equal(rowSgr(e, '     8 '), '38;5;16;48;5;147');
      t.keys('j', 'j', 'j', 'F');
      const f = await t.waitForText('Follow TCP stream 0');
      assert.match(f, /client 127\.0\.0\.1:\d+ → 3 bytes/);
      assert.match(f, /server 127\.0\.0\.1:\d+ → 3 bytes/);
      const fe = t.screen(true);
      assert.equal(rowSgr(fe, 'Hey'), '38;5;210');
      assert.equal(rowSgr(fe, 'Hi'), '38;5;117');
    });
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const canLive = process.getuid?.() === 0 && spawnSync(process.execPath, [CLI, '-D']).status === 0;

test('live capture on lo: rows arrive and the list follows the newest; q stops and the -w file is complete', { skip: noTmux || (canLive ? false : 'needs root and the cap module') }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-live-'));
  // live capture writes -w as the account it gives root up for (src/capture/privileges.ts)
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'live.pcap');
  const server = await startChatServer({ host: '127.0.0.1', port: 0, closeAfterReply: true });
  try {
    await withTmux(['-i', 'lo', '-w', out, 'tcp', 'port', String(server.port)], {}, async (t) => {
      let s = await t.waitForText('live: lo');
      assert.match(s, new RegExp(`capture filter: tcp port ${server.port}`));
      assert.match(s, /following/);
      await sleep(300); // the capture is open once the UI shows; give libpcap a moment
      for (let k = 0; k < 2; k++) await runLabChatExchange({ host: '127.0.0.1', port: server.port, closeDelayMs: 20 });
      s = await t.waitForText('shown 20 / 20');
      // following: the newest packet is selected and its details are shown
      assert.match(s, /▶\s+20 \d+\.\d+\s+127\.0\.0\.1\s+127\.0\.0\.1\s+TCP .*\[ACK\] Seq=5 Ack=5/);
      s = await t.waitForText('Packet details — frame 20');
      assert.match(s, /\d+ pkt\/s/);
      assert.match(s, /drops 0/);
      t.keys('k');
      s = await t.waitForText('Packet details — frame 19');
      assert.doesNotMatch(s.split('\n').pop() ?? '', /following/);
      t.keys('q');
      await t.waitForText('[tcpwatch exited 0]');
    });
    const n = spawnSync('tcpdump', ['-r', out, '-n'], { encoding: 'utf8' });
    assert.equal(n.stdout.trim().split('\n').length, 20);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mouse: a click selects a packet, the wheel scrolls', { skip }, () =>
  withTmux(['-r', TLS13], {}, async (t) => {
    await t.waitForText('shown 36 / 36');
    // A click sent before the UI has asked the terminal for mouse reports is lost (it once was, on a busy machine).
    for (let i = 0; t.command(['display-message', '-p', '-t', t.session, '#{mouse_any_flag}']).trim() !== '1'; i++) {
      assert.ok(i < 200, 'the UI turned mouse reporting on');
      await sleep(25);
    }
    // SGR mouse report (button 0 press and release) on screen row 7 (packet 6), column 20
    // press and release as two reads, as a terminal sends them
    t.literal(`${ESC}[<0;20;8M`);
    await sleep(60);
    t.literal(`${ESC}[<0;20;8m`);
    let s = await t.waitForText('Packet details — frame 6');
    assert.match(s, /▶\s+6 0\.002257/);
    t.literal(`${ESC}[<65;20;8M`); // wheel down: three rows
    s = await t.waitFor((x) => /^\s+4 0\.001220/.test(x.split('\n')[2] ?? ''), 'list scrolled by the wheel');
    // the wheel scrolls the view; the selection stays on packet 6
    assert.match(s, /▶\s+6 0\.002257/);
    assert.match(s, /Packet details — frame 6/);
  }));

/** Move the details cursor down (or up) until the selected line matches `re` (at most `max` steps). */
async function selectDetail(t: Tmux, re: RegExp, max = 80, key = 'j'): Promise<string> {
  for (let k = 0; k < max; k++) {
    const s = t.screen();
    if (s.split('\n').some((l) => l.startsWith('▶') && re.test(l))) return s;
    t.keys(key);
    await t.waitFor((x) => x !== s, 'the cursor to move', 500).catch(() => s);
  }
  throw new Error(`no details line matching ${re}; the details pane shows:\n${t.screen().split('\n').slice(22, 40).join('\n')}`);
}

test('TLS details: a record node highlights exactly its bytes, its content type one byte, and each Client Hello extension is its own node', { skip }, () =>
  withTmux(['-r', TLS13], {}, async (t) => {
    await t.waitForText('shown 36 / 36');
    t.keys('j', 'j', 'j');
    await t.waitForText('Packet details — frame 4');
    t.keys('Tab');
    await t.waitFor((x) => /▶▸ Frame 4/.test(x), 'details focus on the Frame node');
    if (/▶\s*▸ Transport Layer Security/.test(await selectDetail(t, /[▸▾] Transport Layer Security/))) t.keys('l');
    // The record: 5 header bytes and 512 of Client Hello, from frame offset 0x56 (14 Ethernet + 40
    // IPv6 + 32 TCP) to the frame's end at 603 bytes; the hex pane shows its first rows.
    await selectDetail(t, /TLSv1(\.\d)? Record Layer: Handshake Protocol: Client Hello/);
    let e = await t.waitFor((x) => highlightedBytes(x).length > 0, 'the record highlighted', 4000, true);
    let hl = highlightedBytes(e);
    const visibleEnd = Math.max(...e.split('\n').map((l) => /^([0-9a-f]{4})  /.exec(plain(l))).filter((m) => m !== null).map((m) => parseInt(m![1], 16) + 16));
    assert.equal(hl[0], 0x56, 'the record starts at its header');
    assert.deepEqual(hl, Array.from({ length: Math.min(603, visibleEnd) - 0x56 }, (_, k) => 0x56 + k), 'every visible byte of the record, nothing before it');
    if (/▶\s*▸ TLSv/.test(t.screen())) t.keys('l');
    await selectDetail(t, /Content Type: Handshake \(22\)/);
    e = await t.waitFor((x) => highlightedBytes(x).length === 1, 'one byte highlighted', 4000, true);
    assert.deepEqual(highlightedBytes(e), [0x56]);
    // The Client Hello's extensions, each a node of its own with type, length and contents.
    if (/▶\s*▸ Handshake Protocol: Client Hello/.test(await selectDetail(t, /[▸▾] Handshake Protocol: Client Hello/))) t.keys('l');
    const s = await selectDetail(t, /Extension: padding \(len=\d+\)/);
    const extensions = s.split('\n').filter((l) => /Extension: [a-z_]+ \(len=\d+\)/.test(l));
    assert.ok(extensions.length >= 10, `extension nodes on screen: ${extensions.length}`);
    await selectDetail(t, /Extension: ec_point_formats \(len=4\)/, 20, 'k');
    t.keys('l');
    const opened = await t.waitFor((x) => /Type: ec_point_formats \(11\)/.test(x), 'the extension opened');
    assert.match(opened, /Length: 4\n/);
    assert.match(opened, /EC point formats Length: 3/);
    e = await t.waitFor((x) => highlightedBytes(x).length === 8, 'the extension highlighted', 4000, true);
    hl = highlightedBytes(e);
    assert.equal(hl[hl.length - 1] - hl[0] + 1, 8, 'its 4 header bytes and 4 of contents, one range');
  }));
