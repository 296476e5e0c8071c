// Working through a capture in the UI (issue #19), in a real terminal (tmux, capture-pane -e):
// the selection that shows on every row colour, colouring rules in Wireshark's colorfilters
// format checked against tshark's own colouring, find, marks, time reference, saving.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/app/features';
import { parseColourRules, ColourRule } from '../src/store/colour-rules';
import { xterm256 } from '../src/ui/theme';
import { BINDINGS, actionFor, Binding } from '../src/ui/keys';
import { compileRuleFilter } from '../src/filter';
import { startChatServer, runLabChatExchange } from '../src/lab/chat';
import { corpusDir, NO_CORPUS_REASON, CLI } from './helpers/corpus';
import { parsePacketRange, packetsInRange } from '../src/ui/packet-range';
import { Tmux, haveTmux, lineWith, plain, rowSgr } from './helpers/tmux';
import { writeConversation } from './helpers/crafted-tcp';

const corpus = corpusDir();
const noTmux = haveTmux() ? false : 'tmux is not installed';
const skip = noTmux || (corpus === null ? NO_CORPUS_REASON : false);
const haveTshark = spawnSync('tshark', ['--version']).status === 0;
const TLS13 = corpus ? path.join(corpus, 'valid/local/ipv6-tls13.pcap') : '';

function withTmux(args: string[], env: Record<string, string>, fn: (t: Tmux) => Promise<void>, width = 160, height = 50): Promise<void> {
  const t = Tmux.start(args, env, width, height);
  return fn(t).finally(() => t.kill());
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-work-'));
}

/** The packet rows on screen: number → the attributes where the row's text starts (selection's bold/underline left in). */
function rowsOnScreen(escaped: string): Map<number, { sgr: string; line: string }> {
  const out = new Map<number, { sgr: string; line: string }>();
  for (const line of escaped.split('\n')) {
    const m = /^.\s+(\d+) \d+\.\d+ /.exec(plain(line));
    if (m === null) continue;
    out.set(Number(m[1]), { sgr: rowSgr(line, plain(line).slice(1, 16)), line });
  }
  return out;
}

/**
 * Walk the selection over rows 1..n: each time, the row under the marker must look unlike every
 * other row on screen (whatever their class), and be the only one with the marker.
 */
async function selectionShowsOnEveryRow(t: Tmux, n: number): Promise<void> {
  for (let k = 1; k <= n; k++) {
    if (k > 1) t.keys('j');
    const e = await t.waitFor((x) => new RegExp(`Packet details — frame ${k}\\b`).test(x), `frame ${k} selected`, 5000, true);
    const rows = rowsOnScreen(e);
    const marked = [...rows.keys()].filter((no) => plain(rows.get(no)!.line).startsWith('▶'));
    assert.deepEqual(marked, [k], `only row ${k} has the marker`);
    const sel = rows.get(k)!.sgr;
    for (const [no, r] of rows) {
      if (no !== k) assert.notEqual(r.sgr, sel, `selected row ${k} (${sel}) looks unlike row ${no}`);
    }
  }
}

test('colorfilters: background then foreground, !@ switches a rule off, # comments; unknown protocols make their test false', () => {
  const rules = parseColourRules('# comment\n@A@tcp@[1,2,3][4,5,6]\r\n!@B@udp@[0,0,0][65535,65535,65535]\n\n');
  assert.deepEqual(rules, [
    { enabled: true, name: 'A', filter: 'tcp', bg: [1, 2, 3], fg: [4, 5, 6] },
    { enabled: false, name: 'B', filter: 'udp', bg: [0, 0, 0], fg: [65535, 65535, 65535] },
  ]);
  assert.throws(() => parseColourRules('@A@tcp@[1,2,3]\n'), /line 1: expected @name@filter@/);
  assert.throws(() => parseColourRules('@A@tcp@[1,2,3][4,5,70000]'), /line 1: a colour channel is 0 to 65535/);
  const r = compileRuleFilter('(ip.ttl < 5 && !pim) || smb || hsrp.state != 8');
  assert.deepEqual(r.unknown, ['pim', 'smb', 'hsrp.state']);
  // a syntax mistake is still an error (the UI leaves the rule out and says why)
  assert.throws(() => compileRuleFilter('tcp.port =='), /display filter error/);
});

test('keys: each key means one thing wherever the UI looks keys up; T is the time format, P the stream graph, m marks in the list and is the view\'s own in one', () => {
  // The lookups the UI makes (src/ui/app.ts): the list and bytes panes, the details pane, a full-screen view.
  const lookups: Binding['where'][][] = [['global', 'panes'], ['global', 'panes', 'details'], ['global', 'views']];
  for (const where of lookups) {
    const seen = new Map<string, string>();
    for (const b of BINDINGS.filter((x) => where.includes(x.where))) {
      for (const k of b.keys) {
        assert.ok(!seen.has(k) || seen.get(k) === b.action, `${where.join('+')}: ${k} is both ${seen.get(k)} and ${b.action}`);
        seen.set(k, b.action);
      }
    }
  }
  assert.equal(actionFor('T', ['global', 'panes']), 'time');
  assert.equal(actionFor('t', ['global', 'panes']), 'timeRef');
  assert.equal(actionFor('P', ['global', 'panes']), 'streamGraph');
  assert.equal(actionFor('g', ['global', 'panes']), 'first');
  assert.equal(actionFor('m', ['global', 'panes']), 'mark');
  assert.equal(actionFor('m', ['global', 'panes', 'details']), 'mark');
  assert.equal(actionFor('m', ['global', 'views']), 'followMode');
});

test('the selected row stands out on every row colour: 256 colours, 16 colours at 80x24, NO_COLOR at 80x24', { skip }, async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'reset.pcap');
    writeConversation(file, Buffer.from('ok'), true); // SYN, SYN/ACK, ACK, data, ACK, FIN, FIN, ACK, RST
    await withTmux(['-r', file], {}, async (t) => {
      await t.waitForText('colour rule: TCP SYN / SYN-ACK');
      await selectionShowsOnEveryRow(t, 9);
    });
    await withTmux(['-r', file], { TCPWATCH_COLORS: '16' }, async (t) => {
      await t.waitForText('shown 9 / 9');
      await t.waitForText('colour rule: TCP SYN');
      await selectionShowsOnEveryRow(t, 9);
    }, 80, 24);
    await withTmux(['-r', file], { NO_COLOR: '1' }, async (t) => {
      await t.waitForText('shown 9 / 9');
      const e = t.screen(true);
      // selected: bold, underlined and reversed, which no row class uses
      assert.equal(rowSgr(e, '     1 0.000'), '1;4;7');
      await selectionShowsOnEveryRow(t, 9);
    }, 80, 24);
    // Hello rows (reverse without colour) and the rows around them
    await withTmux(['-r', TLS13], { NO_COLOR: '1' }, async (t) => {
      await t.waitForText('shown 36 / 36');
      await selectionShowsOnEveryRow(t, 8);
    }, 80, 24);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Some of Wireshark's default colouring rules, written here in its colorfilters format (background
// first, then foreground; 16-bit channels), with protocols tcpwatch does not dissect among them.
const WIRESHARK_RULES = [
  '# Wireshark\'s default rules, in its order (a subset)',
  '@Bad TCP@tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack@[4718,10030,11796][63479,34695,34695]',
  '@HSRP State Change@hsrp.state != 8 && hsrp.state != 16@[4718,10030,11796][65535,64764,40092]',
  '@ICMP errors@icmp.type in { 3..5, 11 } || icmpv6.type in { 1..4 }@[4718,10030,11796][47031,63479,29812]',
  '@ARP@arp@[64250,61680,55255][4718,10030,11796]',
  '@ICMP@icmp || icmpv6@[64764,57568,65535][4718,10030,11796]',
  '@TCP RST@tcp.flags.reset eq 1@[42148,0,0][65535,64764,40092]',
  '@TTL low or unexpected@(ip.dst != 224.0.0.0/4 && ip.ttl < 5 && !pim && !ospf) || (ip.dst == 224.0.0.0/24 && ip.dst != 224.0.0.251 && ip.ttl != 1 && !(vrrp || carp))@[42148,0,0][60652,61680,60395]',
  '@SMB@smb || nbss || nbns || netbios@[65278,65535,53456][4718,10030,11796]',
  '@HTTP@http || tcp.port == 80 || http2@[58596,65535,51143][4718,10030,11796]',
  '!@Disabled@frame@[0,0,0][0,0,0]',
  '@TCP SYN/FIN@tcp.flags & 0x02 || tcp.flags.fin == 1@[41026,41026,41026][4718,10030,11796]',
  '@TCP@tcp@[59345,58980,65535][4718,10030,11796]',
  '@UDP@udp@[56026,61166,65535][4718,10030,11796]',
  '@Broadcast@eth[0] & 1@[65535,65535,65535][47802,48573,46774]',
].join('\n') + '\n';

/** The 256-colour attributes a rule's row gets: foreground, then background, as rowSgr writes them. */
function sgrOf(r: ColourRule): string {
  const c = (v: [number, number, number]): number => xterm256(v[0] >> 8, v[1] >> 8, v[2] >> 8);
  return `38;5;${c(r.fg)};48;5;${c(r.bg)}`;
}

/** tshark's colouring rule for every packet, with `rulesFile` as the profile's colorfilters. */
function tsharkRuleNames(capture: string, rulesFile: string | null, home: string): string[] {
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  if (rulesFile !== null) {
    fs.mkdirSync(path.join(home, '.config', 'wireshark'), { recursive: true });
    fs.copyFileSync(rulesFile, path.join(home, '.config', 'wireshark', 'colorfilters'));
  }
  const r = spawnSync('tshark', ['--color', '-n', '-r', capture, '-T', 'fields', '-e', 'frame.coloring_rule.name'], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\n$/, '').split('\n');
}

/** Page through the whole list; every row's colours must be those of the rule tshark gave it. */
async function rowsColouredAsTshark(t: Tmux, names: string[], rules: ColourRule[], notDissected: number[] = []): Promise<Set<string>> {
  const byName = new Map(rules.map((r) => [r.name, r]));
  // A rule that names protocols tcpwatch does not dissect (SMB: nbns, netbios) cannot match here.
  // So can a rule tcpwatch cannot compile (left out with a message, as Wireshark does).
  const blind = new Set(rules.filter((r) => {
    try {
      return compileRuleFilter(r.filter).unknown.length > 0;
    } catch {
      return true;
    }
  }).map((r) => r.name));
  const seen = new Set<string>();
  const checked = new Set<number>();
  // A screen is read again, a moment later, while a row on it is not yet as tshark says: on a busy
  // machine the colouring's last slice or the redraw after it can come after the screen was read.
  let rereads = 0;
  while (checked.size < names.length) {
    let e = t.screen(true);
    const differs = (no: number, sgr: string): boolean => !blind.has(names[no - 1]) && sgr.replace(/^1;4;/, '') !== (names[no - 1] === '' ? '' : sgrOf(byName.get(names[no - 1])!));
    while (rereads < 20 && [...rowsOnScreen(e)].some(([no, r]) => !checked.has(no) && differs(no, r.sgr))) {
      rereads++;
      await new Promise((r) => setTimeout(r, 250));
      e = t.screen(true);
    }
    const rows = rowsOnScreen(e);
    for (const [no, r] of rows) {
      if (checked.has(no)) continue;
      const name = names[no - 1];
      checked.add(no);
      if (blind.has(name)) {
        notDissected.push(no);
        continue;
      }
      const want = name === '' ? '' : sgrOf(byName.get(name)!);
      assert.equal(r.sgr.replace(/^1;4;/, ''), want, `row ${no}: tshark says rule "${name}"\n${plain(r.line)}`);
      seen.add(name);
    }
    if (checked.size >= names.length) break;
    const before = e;
    t.keys('PageDown');
    await t.waitFor((x) => x !== plain(before), 'the next page', 3000).catch(() => '');
  }
  return seen;
}

test('Wireshark\'s colouring rules loaded with --colors colour the corpus as tshark --color does', { skip: skip || (haveTshark ? false : 'tshark is not installed') }, async () => {
  const dir = tempDir();
  try {
    const rulesFile = path.join(dir, 'colorfilters');
    fs.writeFileSync(rulesFile, WIRESHARK_RULES);
    const rules = parseColourRules(WIRESHARK_RULES).filter((r) => r.enabled);
    const seen = new Set<string>();
    for (const [capture, count] of [['valid/ja4/latest.pcapng', 209], ['valid/tcpdump/mptcp-fclose.pcap', 11], ['valid/ja4/CVE-2018-6794.pcap', 33]] as const) {
      const file = path.join(corpus!, capture);
      const names = tsharkRuleNames(file, rulesFile, path.join(dir, 'home'));
      assert.equal(names.length, count);
      await withTmux(['-r', file, '--colors', rulesFile], {}, async (t) => {
        await t.waitForText(`shown ${count} / ${count}`);
        // the first row's rule is named in the details title
        await t.waitForText(`colour rule: ${names[0]}`);
        await new Promise((r) => setTimeout(r, 300)); // the colouring run's last slice
        const blind: number[] = [];
        for (const n of await rowsColouredAsTshark(t, names, rules, blind)) seen.add(n);
        // latest.pcapng has NetBIOS name service rows (tshark: SMB), which tcpwatch does not dissect
        if (capture.endsWith('latest.pcapng')) assert.deepEqual(blind, [68, 69, 133, 154]);
        else assert.deepEqual(blind, []);
      }, 160, 100);
    }
    for (const n of ['Bad TCP', 'ICMP errors', 'ARP', 'TCP RST', 'HTTP', 'TCP SYN/FIN', 'TCP', 'UDP']) assert.ok(seen.has(n), `a row coloured by "${n}" was compared`);
    // A Wireshark profile directory works too, and Wireshark's installed default file loads.
    const profile = path.join(dir, 'profile');
    fs.mkdirSync(profile);
    fs.copyFileSync(rulesFile, path.join(profile, 'colorfilters'));
    await withTmux(['-r', TLS13, '--colors', profile], {}, async (t) => {
      await t.waitForText('colour rule: TCP SYN/FIN');
    });
    // without --colors, the user's configuration directory's colorfilters (XDG_CONFIG_HOME/tcpwatch)
    const config = path.join(dir, 'config');
    fs.mkdirSync(path.join(config, 'tcpwatch'), { recursive: true });
    fs.copyFileSync(rulesFile, path.join(config, 'tcpwatch', 'colorfilters'));
    await withTmux(['-r', TLS13], { XDG_CONFIG_HOME: config }, async (t) => {
      await t.waitForText('colour rule: TCP SYN/FIN');
    });
    const installed = '/usr/share/wireshark/colorfilters';
    if (fs.existsSync(installed)) {
      const file = path.join(corpus!, 'valid/tcpdump/mptcp-fclose.pcap');
      const names = tsharkRuleNames(file, null, path.join(dir, 'empty-home'));
      await withTmux(['-r', file, '--colors', installed], {}, async (t) => {
        await t.waitForText('shown 11 / 11');
        await rowsColouredAsTshark(t, names, parseColourRules(fs.readFileSync(installed, 'utf8')).filter((r) => r.enabled));
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--colors: a missing file or a line not in the format is one line on stderr and exit status 2; c turns colouring off and on', { skip }, async () => {
  const dir = tempDir();
  try {
    await withTmux(['-r', TLS13, '--colors', path.join(dir, 'none')], {}, async (t) => {
      const s = await t.waitForText('[tcpwatch exited 2]');
      assert.match(s, /^tcpwatch: cannot read colouring rules .*none: ENOENT$/m);
    });
    const bad = path.join(dir, 'bad');
    fs.writeFileSync(bad, '# ok\n@TCP@tcp@[1,2,3][4,5,6]\n@Broken@tcp@[1,2][3,4,5]\n');
    await withTmux(['-r', TLS13, '--colors', bad], {}, async (t) => {
      const s = await t.waitForText('[tcpwatch exited 2]');
      assert.match(s, /^tcpwatch: colouring rules .*bad, line 3: expected @name@filter@\[R,G,B\]\[R,G,B\]/m);
    });
    // a rule's name reaches the screen through the sanitizer, like packet text
    const hostile = path.join(dir, 'hostile');
    fs.writeFileSync(hostile, '@\x1b]0;pwned\x07\x1b[31mred@tcp@[0,0,0][65535,65535,65535]\n');
    await withTmux(['-r', TLS13, '--colors', hostile], {}, async (t) => {
      const s = await t.waitForText('colour rule: \\x1b]0;pwned\\x07\\x1b[31mred');
      assert.doesNotMatch(t.paneTitle(), /pwned/);
      assert.doesNotMatch(t.screen(true), /\x1b\[31m/);
      assert.match(s, /shown 36 \/ 36/);
    });
    await withTmux(['-r', TLS13], {}, async (t) => {
      await t.waitForText('shown 36 / 36');
      await t.waitForText('colour rule: TCP SYN / SYN-ACK');
      assert.equal(rowSgr(t.screen(true), '     4 0.001220'), '38;5;16;48;5;214');
      t.keys('c');
      await t.waitForText('colouring rules off');
      let e = t.screen(true);
      assert.equal(rowSgr(e, '     4 0.001220'), '');
      assert.equal(rowSgr(e, '     2 0.000042'), '');
      t.keys('c');
      await t.waitForText('colouring rules on');
      e = t.screen(true);
      assert.equal(rowSgr(e, '     4 0.001220'), '38;5;16;48;5;214');
      assert.match(lineWith(t.screen(), 'Packet details'), /colour rule: TCP SYN \/ SYN-ACK/);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('find by display filter, string and hex with next/previous; marks; time reference; the related packet', { skip }, () =>
  withTmux(['-r', TLS13], {}, async (t) => {
    await t.waitForText('shown 36 / 36');
    // display filter: the two Server Hellos, n and N move between them and wrap
    t.keys('C-f');
    await t.waitForText('Find display filter:');
    t.literal('tls.handshake.type == 2');
    t.keys('Enter');
    let s = await t.waitForText('found display filter tls.handshake.type == 2: frame 6');
    assert.match(s, /▶\s+6 0\.002257/);
    t.keys('n');
    await t.waitForText('tls.handshake.type == 2: frame 25');
    t.keys('n');
    s = await t.waitForText('frame 6 (search wrapped to the first packet)');
    t.keys('N');
    await t.waitForText('tls.handshake.type == 2: frame 25 (search wrapped to the last packet)');
    // string: in the Info column ("Client Key Exchange"), from the selection on
    t.keys('C-f', 'Tab', 'C-u');
    await t.waitForText('Find string:');
    t.literal('Client Key Exchange');
    t.keys('Enter');
    s = await t.waitForText('found string Client Key Exchange: frame 27');
    assert.match(s, /▶\s+27 0\.\d+ .*Client Key Exchange/);
    // hex: the TLS 1.2 ServerHello's record header, 16 03 03 then a length, with spaces or colons
    t.keys('g', 'C-f', 'Tab', 'C-u'); // the prompt keeps the last kind (string): one Tab to hex
    await t.waitForText('Find hex bytes:');
    t.literal('16 03 03 zz');
    await t.waitForText('hex bytes are pairs of digits');
    t.keys('BSpace', 'BSpace', 'BSpace');
    t.keys('Enter');
    s = await t.waitForText('found hex bytes 16 03 03: frame 6');
    // a string in the details tree only (the TCP stream index is in no column and no byte)
    t.keys('g', 'C-f', 'Tab', 'C-u');
    await t.waitForText('Find string in details:');
    t.literal('Stream index: 1');
    t.keys('Enter');
    s = await t.waitForText('found string in details Stream index: 1: frame 20');
    // marks: two, ] and [ go between them, the status bar counts them
    t.keys(':');
    t.literal('10');
    t.keys('Enter', 'm');
    await t.waitForText('Packet details — frame 10');
    t.keys(':');
    t.literal('30');
    t.keys('Enter', 'm');
    s = await t.waitForText('marked 2');
    t.keys('g');
    await t.waitForText('Packet details — frame 1 ');
    s = await t.waitFor((x) => /●\s+10 0\.002939/.test(x), 'marked row 10 with ●');
    t.keys(']');
    await t.waitForText('Packet details — frame 10');
    t.keys(']');
    await t.waitForText('Packet details — frame 30');
    t.keys('[');
    await t.waitForText('Packet details — frame 10');
    // time reference on packet 20: it reads *REF*, the ones after count from it
    t.keys(':');
    t.literal('20');
    t.keys('Enter', 't');
    s = await t.waitForText('frame 20 is a time reference');
    assert.match(s, /\s20 \*REF\*\s+::1/);
    assert.match(s, /\s21 0\.000012\s+::1/); // 0.009458 - 0.009446
    assert.match(s, /\s19 0\.003176\s+::1/); // before it: from the first packet still
    t.keys('t');
    s = await t.waitForText('frame 20 is no longer a time reference');
    assert.match(s, /\s21 0\.009458\s+::1/);
    // the related packet: packet 5 ACKs the Client Hello (frame 4)
    t.keys(':');
    t.literal('5');
    t.keys('Enter');
    await t.waitForText('Packet details — frame 5');
    t.keys('r');
    s = await t.waitForText('This is an ACK to the segment in frame 4');
    assert.match(s, /▶\s+4 0\.001220/);
  }));

/** tshark's view of a capture's packets: time and lengths of each, then every byte (its hex dump without the summary lines). */
function tsharkPackets(file: string, filter?: string): string {
  const run = (args: string[]): string => {
    const r = spawnSync('tshark', ['-n', '-r', file, ...(filter ? ['-Y', filter] : []), ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const fields = run(['-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len']);
  const hex = run(['-x']).split('\n').filter((l) => /^[0-9a-f]{4}  /.test(l)).join('\n');
  return `${fields}\n${hex}`;
}

test('save all, displayed, marked, first to last marked or a range of packets as pcap or pcapng: tshark reads back the same packets', { skip: skip || (haveTshark ? false : 'tshark is not installed') }, async () => {
  const dir = tempDir();
  try {
    const all = path.join(dir, 'all.pcap'), shown = path.join(dir, 'shown.pcapng'), marked = path.join(dir, 'marked.pcapng');
    const span = path.join(dir, 'span.pcap'), range = path.join(dir, 'range.pcapng');
    await withTmux(['-r', TLS13], {}, async (t) => {
      await t.waitForText('shown 36 / 36');
      t.keys('W');
      await t.waitForText('Save all packets as:');
      t.literal(all);
      t.keys('Enter');
      await t.waitForText('saved 36 all packets to');
      t.keys('/');
      t.literal('tcp.stream == 1 && tcp.len > 0');
      t.keys('Enter');
      await t.waitForText('shown 8 / 36');
      t.keys('C-s', 'Tab');
      await t.waitForText('Save displayed packets as:');
      t.literal(shown);
      t.keys('Enter');
      await t.waitForText('saved 8 displayed packets to');
      t.keys('x');
      await t.waitForText('shown 36 / 36');
      for (const n of ['4', '6', '23']) {
        t.keys(':');
        t.literal(n);
        t.keys('Enter', 'm');
        await t.waitForText(`Packet details — frame ${n}`);
      }
      await t.waitForText('marked 3');
      t.keys('W', 'Tab', 'Tab');
      await t.waitForText('Save marked packets as:');
      t.literal(marked);
      t.keys('Enter');
      await t.waitForText('saved 3 marked packets to');
      // the prompt keeps Tab's last choice from one save to the next
      t.keys('W', 'Tab');
      await t.waitForText('Save first to last marked as:');
      t.literal(span);
      t.keys('Enter');
      await t.waitForText('saved 20 packets from the first to the last marked to');
      t.keys('W', 'Tab');
      await t.waitForText('Save packet range and file (1-10,20- out.pcap):');
      // a span that runs backwards is refused at the prompt, in one line
      t.literal('5-2 ');
      await t.waitForText('"5-2" runs backwards');
      t.keys('C-u');
      t.literal('2-3,30-');
      await t.waitForText('now a space and the file name');
      t.keys('C-u');
      t.literal(`2-3,30- ${range}`);
      t.keys('Enter');
      await t.waitForText('saved 9 packets in 2-3,30- to');
      // a file that cannot be written: one line on the status bar, the UI goes on
      t.keys('W', 'Tab');
      await t.waitForText('Save all packets as:');
      t.literal(path.join(dir, 'no', 'such', 'dir.pcap'));
      t.keys('Enter');
      await t.waitForText(/cannot write \(ENOENT\)/);
    });
    assert.equal(fs.readFileSync(all).readUInt32LE(0) === 0xa1b23c4d || fs.readFileSync(all).readUInt32LE(0) === 0xa1b2c3d4, true, 'pcap');
    assert.equal(fs.readFileSync(shown).readUInt32LE(0), 0x0a0d0d0a, 'pcapng');
    assert.equal(tsharkPackets(all), tsharkPackets(TLS13));
    assert.equal(tsharkPackets(shown), tsharkPackets(TLS13, 'tcp.stream == 1 && tcp.len > 0'));
    assert.equal(tsharkPackets(marked), tsharkPackets(TLS13, 'frame.number in {4, 6, 23}'));
    assert.equal(tsharkPackets(span), tsharkPackets(TLS13, 'frame.number >= 4 && frame.number <= 23'));
    assert.equal(tsharkPackets(range), tsharkPackets(TLS13, 'frame.number in {2, 3} || frame.number >= 30'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const canLive = process.getuid?.() === 0 && spawnSync(process.execPath, [CLI, '-D']).status === 0;

test('q in a live capture with unsaved packets asks: cancel stays, save writes every packet captured and quits', { skip: noTmux || (canLive ? false : 'needs root and the cap module') || (haveTshark ? false : 'tshark is not installed') }, async () => {
  const dir = tempDir();
  // the UI gives root up once the capture runs (src/capture/privileges.ts) and saves as that account
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'saved.pcapng');
  const server = await startChatServer({ host: '127.0.0.1', port: 0, closeAfterReply: true });
  try {
    await withTmux(['-i', 'lo', 'tcp', 'port', String(server.port)], {}, async (t) => {
      await t.waitForText('live: lo');
      await new Promise((r) => setTimeout(r, 300)); // the capture is open once the UI shows; give libpcap a moment
      await runLabChatExchange({ host: '127.0.0.1', port: server.port, closeDelayMs: 20 });
      await t.waitForText('shown 10 / 10');
      t.keys('q');
      let s = await t.waitForText('Quit: 10 captured packets are not saved');
      assert.match(s, /s save {2}d discard and quit {2}c cancel/);
      t.keys('c');
      s = await t.waitFor((x) => !x.includes('Quit:') && x.includes('shown 10 / 10'), 'the question gone');
      t.keys('q');
      await t.waitForText('Quit: 10 captured packets');
      t.keys('s');
      s = await t.waitForText(/Save all packets as: tcpwatch-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.pcapng/);
      t.keys('C-u');
      t.literal(out);
      t.keys('Enter');
      await t.waitForText('[tcpwatch exited 0]');
    });
    const r = spawnSync('tshark', ['-n', '-r', out, '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.dstport'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.equal(rows.length, 10);
    for (const row of rows) assert.ok(row.split('\t').includes(String(server.port)), row);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Packets tshark shows with a display filter. */
function tsharkCount(file: string, filter: string): number {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() === '' ? 0 : r.stdout.trim().split('\n').length;
}

test('Follow UDP stream, as tshark -z follow,udp; leaving Follow filters the list to udp.stream eq N / tcp.stream eq N', { skip: skip || (haveTshark ? false : 'tshark is not installed') }, async () => {
  const V6 = path.join(corpus!, 'valid/ja4/v6.pcap');
  const z = spawnSync('tshark', ['-n', '-r', V6, '-q', '-z', 'follow,udp,ascii,1'], { encoding: 'utf8' }).stdout;
  // tshark's chunks: a length line, then the bytes; node 0 (the client) sends the first
  const lengths = [...z.matchAll(/^(\t?)(\d+)$/gm)].map((m) => ({ server: m[1] === '\t', n: Number(m[2]) }));
  const clientBytes = lengths.filter((l) => !l.server).reduce((a, l) => a + l.n, 0);
  const serverBytes = lengths.filter((l) => l.server).reduce((a, l) => a + l.n, 0);
  assert.ok(clientBytes > 0 && serverBytes > 0, z);
  const udpShown = tsharkCount(V6, 'udp.stream eq 1'), tcpShown = tsharkCount(V6, 'tcp.stream eq 0');
  const total = tsharkCount(V6, 'frame');
  await withTmux(['-r', V6], {}, async (t) => {
    await t.waitForText(`shown ${total} / ${total}`);
    t.keys(':');
    t.literal('7');
    t.keys('Enter');
    await t.waitForText('Packet details — frame 7');
    t.keys('F');
    const s = await t.waitForText('Follow UDP stream 1');
    assert.match(s, new RegExp(`client 3ffe:507:0:1:200:86ff:fe05:80da:2397 → ${clientBytes} bytes`));
    assert.match(s, new RegExp(`server 3ffe:501:4819::42:53 → ${serverBytes} bytes`));
    assert.match(s, /0000  00 06 01 00 00 01 .*\.www$/m); // binary payload: a hex dump, as -z follow,udp,hex
    t.keys('Escape');
    await t.waitForText('Display filter: udp.stream eq 1');
    await t.waitForText(`shown ${udpShown} / ${total}`);
    // a TCP packet: its stream, then tcp.stream eq 0
    t.keys('x');
    await t.waitForText(`shown ${total} / ${total}`);
    t.keys('C-f');
    t.literal('tcp.stream == 0');
    t.keys('Enter');
    await t.waitForText('found display filter tcp.stream == 0');
    t.keys('F');
    await t.waitForText('Follow TCP stream 0');
    t.keys('q');
    await t.waitForText('Display filter: tcp.stream eq 0');
    await t.waitForText(`shown ${tcpShown} / ${total}`);
  });
});

test('80x24: the statistics never draw a number over a label; a long display filter leaves the counts on the status bar', { skip: skip || (haveTshark ? false : 'tshark is not installed') }, () =>
  withTmux(['-r', TLS13], {}, async (t) => {
    await t.waitForText('shown 36 / 36');
    t.keys('S');
    const s = await t.waitForText('Statistics: 36 packets');
    // the flags as tshark counts them (SYN alone, SYN with ACK, a bare ACK, PSH, FIN, RST), each name whole beside its count
    const flags: [string, string][] = [['SYN', 'tcp.flags.syn==1 && tcp.flags.ack==0'], ['SYN/ACK', 'tcp.flags.syn==1 && tcp.flags.ack==1'], ['ACK', 'tcp.flags == 0x010'],
      ['PSH', 'tcp.flags.push==1'], ['FIN', 'tcp.flags.fin==1'], ['RST', 'tcp.flags.reset==1']];
    for (const [name, filter] of flags) {
      assert.match(s, new RegExp(`(│| {2})${name.replace('/', '\\/')} ${tsharkCount(TLS13, filter)}( |│)`), `${name} beside its count`);
    }
    assert.doesNotMatch(s, /SY\d|AC\d/);
    assert.match(s, /│TCP\s+19 █/);
    assert.match(s, /│::1\s+36 17\.3 KiB/);
    t.keys('Escape');
    await t.waitForText('Display filter:');
    t.keys('/');
    const long = 'tcp.len > 0 && !(ipv6.src == 2001:db8::1234:5678:9abc:def0) && frame.len > 60 && tcp.window_size > 1';
    t.literal(long);
    t.keys('Enter');
    const shown = tsharkCount(TLS13, long);
    const after = await t.waitForText(`shown ${shown} / 36`);
    const status = after.split('\n')[23];
    assert.match(status, new RegExp(`shown ${shown} / 36`), 'the counts on the last line');
    assert.match(status, /file: \/.*… │ display filter: tcp\.l.*… │ shown/, 'the path and the filter cut to make room');
    assert.ok(status.length <= 80);
  }, 80, 24));

/** tshark's conversations table (-z conv,PROTO[,FILTER]): A:p <-> B:q, frames B→A, frames A→B. */
function tsharkConversations(file: string, proto: 'tcp' | 'udp', filter?: string): { a: string; b: string; toA: number; toB: number }[] {
  const z = spawnSync('tshark', ['-n', '-r', file, '-q', '-z', `conv,${proto}${filter ? `,${filter}` : ''}`], { encoding: 'utf8' }).stdout;
  return [...z.matchAll(/^(\S+)\s+<->\s+(\S+)\s+(\d+) \d+ \w+\s+(\d+) \d+ \w+\s+(\d+) /gm)].map((m) => ({ a: m[1], b: m[2], toA: Number(m[3]), toB: Number(m[4]) }));
}

/** Every conversation tshark lists is on screen with the same packets each way (Stream, Address A, Port A, Address B, Port B, Packets, Bytes, Pkts A→B, Bytes A→B, Pkts B→A). */
function sameConversations(s: string, want: { a: string; b: string; toA: number; toB: number }[]): void {
  const esc = (x: string): string => x.replace(/\./g, '\\.');
  const cells = (x: string): string => { const i = x.lastIndexOf(':'); return `${esc(x.slice(0, i))}\\s+${x.slice(i + 1)}`; };
  for (const w of want) {
    const line = lineWith(s, new RegExp(`(${cells(w.a)}\\s+${cells(w.b)}|${cells(w.b)}\\s+${cells(w.a)})\\s`));
    const m = /^.\s*\d+\s+(\S+)\s+(\d+)\s+\S+\s+\d+\s+\d+\s+[\d.]+ \S+\s+(\d+)\s+[\d.]+ \S+\s+(\d+)\s/.exec(plain(line))!;
    const [client, toServer, toClient] = [`${m[1]}:${m[2]}`, Number(m[3]), Number(m[4])];
    assert.deepEqual(client === w.a ? [toServer, toClient] : [toClient, toServer], [w.toB, w.toA], `${w.a} <-> ${w.b}: ${plain(line)}`);
  }
}

test('UDP conversations (Tab in C) as tshark -z conv,udp, all packets and under a display filter; Enter filters to udp.stream eq N', { skip: skip || (haveTshark ? false : 'tshark is not installed') }, async () => {
  const LATEST = path.join(corpus!, 'valid/ja4/latest.pcapng');
  const all = tsharkConversations(LATEST, 'udp'), dns = tsharkConversations(LATEST, 'udp', 'dns');
  assert.ok(all.length > 10 && dns.length > 5);
  await withTmux(['-r', LATEST], {}, async (t) => {
    await t.waitForText('shown 209 / 209');
    t.keys('C');
    await t.waitForText('TCP conversations: 11');
    t.keys('Tab');
    let s = await t.waitForText(`UDP conversations: ${all.length}`);
    sameConversations(s, all);
    t.keys('Escape');
    await t.waitForText('Display filter: none');
    t.keys('/');
    await t.waitForText('Filter:');
    t.literal('dns');
    t.keys('Enter');
    await t.waitForText('Display filter: dns');
    let k = 0;
    for (; k < 20; k++) {
      t.keys('C');
      s = await t.waitForText('conversations:');
      if (!s.includes('still filtering')) break;
      t.keys('Escape');
      await new Promise((r) => setTimeout(r, 200));
    }
    // the tab stays UDP
    assert.match(s, new RegExp(`UDP conversations: ${dns.length} shown by dns `));
    sameConversations(s, dns);
    t.keys('Enter');
    await t.waitForText(/Display filter: udp\.stream eq \d+/);
  }, 230, 50);
});

test('statistics and TCP conversations count what the display filter shows, as tshark -z conv,tcp,FILTER', { skip: skip || (haveTshark ? false : 'tshark is not installed') }, async () => {
  const LATEST = path.join(corpus!, 'valid/ja4/latest.pcapng');
  const filter = 'tcp.len > 0';
  const want = tsharkConversations(LATEST, 'tcp', filter);
  assert.ok(want.length >= 5);
  const shown = tsharkCount(LATEST, filter);
  await withTmux(['-r', LATEST, '-Y', filter], {}, async (t) => {
    await t.waitForText(`shown ${shown} / 209`);
    await t.waitFor((x) => !x.includes('filtering…'), 'the filter to have run over the whole file');
    // the file's indexing may still be finishing: the title says so, and C again shows the final counts
    let s = '';
    for (let k = 0; k < 20; k++) {
      t.keys('C');
      s = await t.waitForText('TCP conversations:');
      if (!s.includes('still filtering')) break;
      t.keys('Escape');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(s, new RegExp(`TCP conversations: ${want.length} shown by tcp\\.len > 0 `));
    sameConversations(s, want);
    t.keys('Escape');
    await t.waitForText('Display filter:');
    t.keys('S');
    await t.waitForText(`Statistics: ${shown} packets`);
    await t.waitForText(`shown by ${filter}`);
  }, 230, 50);
});

test('80x24: the conversations table scrolls sideways to its Verdict and Entropy columns; its title keeps the count', { skip }, () =>
  withTmux(['-r', TLS13], {}, async (t) => {
    await t.waitForText('shown 36 / 36');
    t.keys('C');
    let s = await t.waitForText('TCP conversations: 2 ');
    assert.doesNotMatch(s, /Verdict|encrypted-without-keys/);
    t.keys('Right');
    await t.waitFor((x) => !x.includes('Stream'), 'scrolled once');
    // a third of the screen at a time, up to the last columns
    let scrolls = 1;
    for (; scrolls < 12 && !/SYN FIN\s*$/m.test(t.screen()); scrolls++) {
      const before = t.screen();
      t.keys('Right');
      await t.waitFor((x) => x !== before, `scrolled ${scrolls + 1} times`);
    }
    s = await t.waitForText('Entropy');
    assert.match(s, /encrypted-without-keys \(TLS 1\.3\)\s+7\.\d\d SYN FIN/);
    assert.match(s, /^ TCP conversations: 2 /);
    for (let k = 0; k < scrolls; k++) t.keys('Left');
    s = await t.waitForText('Address A');
    assert.match(s, /Stream\s+Address A\s+Port A\s+Address B\s+Port B/);
  }, 80, 24));

test('Follow: Ctrl-S saves the stream\'s payload raw, both sides in order or one side, as tshark -z follow,tcp,raw', { skip: skip || (haveTshark ? false : 'tshark is not installed') }, async () => {
  const dir = tempDir();
  try {
    const z = spawnSync('tshark', ['-n', '-r', TLS13, '-q', '-z', 'follow,tcp,raw,0'], { encoding: 'utf8' }).stdout;
    // raw chunks: one hex line each, the server's indented with a tab
    const chunks = [...z.matchAll(/^(\t?)([0-9a-f]+)$/gm)].map((m) => ({ server: m[1] === '\t', hex: m[2] }));
    const both = chunks.map((c) => c.hex).join(''), client = chunks.filter((c) => !c.server).map((c) => c.hex).join('');
    const out = path.join(dir, 'both.bin'), outClient = path.join(dir, 'client.bin');
    await withTmux(['-r', TLS13], {}, async (t) => {
      await t.waitForText('shown 36 / 36');
      t.keys('F');
      await t.waitForText('Follow TCP stream 0');
      t.keys('C-s');
      await t.waitForText('Export the payload, both sides, to:');
      t.literal(out);
      t.keys('Enter');
      await t.waitForText(`saved ${both.length / 2} bytes of tcp.stream 0 (both sides)`);
      t.keys('W', 'Tab');
      await t.waitForText('Export the payload, client bytes, to:');
      t.literal(outClient);
      t.keys('Enter');
      await t.waitForText(`saved ${client.length / 2} bytes of tcp.stream 0 (client bytes)`);
      // still in Follow
      assert.match(t.screen(), /Follow TCP stream 0/);
    });
    assert.equal(fs.readFileSync(out).toString('hex'), both);
    assert.equal(fs.readFileSync(outClient).toString('hex'), client);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('neither -i nor -r: an interface picker with addresses and live packet counts; Enter captures there with the filter typed', { skip: noTmux || (canLive ? false : 'needs root and the cap module') }, async () => {
  const dgram = await import('node:dgram');
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const send = (n: number): Promise<void> => new Promise((r) => {
    let left = n;
    for (let k = 0; k < n; k++) sock.send(Buffer.from('hi'), port, '127.0.0.1', () => (--left === 0 ? r() : undefined));
  });
  try {
    await withTmux([], {}, async (t) => {
      let s = await t.waitForText('choose an interface to capture on');
      assert.match(s, /Interface\s+Packets\s+State\s+Addresses/);
      assert.match(lineWith(s, /^.lo\s/), /^.lo\s+\d+\s+up\s+127\.0\.0\.1\/8/);
      // the count is the kernel's, since the picker opened: traffic on lo shows in it
      await send(20);
      s = await t.waitFor((x) => /^.lo\s+([1-9]\d*)\s/m.test(x), 'packets counted on lo', 5000);
      for (let k = 0; k < 12 && !/^▶lo\s/m.test(t.screen()); k++) {
        t.keys('Down');
        await new Promise((r) => setTimeout(r, 60));
      }
      assert.match(t.screen(), /^▶lo\s/m);
      t.literal(`udp port ${port}`);
      await t.waitForText(`Capture filter: udp port ${port}`);
      t.keys('Enter');
      await t.waitForText(`live: lo │ capture filter: udp port ${port}`);
      await new Promise((r) => setTimeout(r, 300));
      await send(3);
      await t.waitForText('shown 3 / 3');
      t.keys('q');
      await t.waitForText('Quit: 3 captured packets are not saved');
      t.keys('d');
      await t.waitForText('[tcpwatch exited 0]');
    });
    // Esc leaves without capturing
    await withTmux([], {}, async (t) => {
      await t.waitForText('choose an interface to capture on');
      t.keys('Escape');
      await t.waitForText('[tcpwatch exited 0]');
    });
  } finally {
    sock.close();
  }
});

test('a packet range reads as Wireshark reads one: spans, open ends, each packet once, mistakes in one line', () => {
  const at = (text: string, count: number) => {
    const r = parsePacketRange(text, count);
    return typeof r === 'string' ? r : packetsInRange(r, count).map((i) => i + 1).join(',');
  };
  assert.equal(at('1-3,5', 10), '1,2,3,5');
  assert.equal(at('8-', 10), '8,9,10');
  assert.equal(at('-2, 9', 10), '1,2,9');
  assert.equal(at('2-4,3-5,4', 10), '2,3,4,5');
  assert.equal(at('9-400', 10), '9,10');
  assert.equal(at('0', 10), '"0": packet numbers start at 1');
  assert.equal(at('7-3', 10), '"7-3" runs backwards');
  assert.equal(at('11', 10), '"11": there are 10 packets');
  for (const bad of ['', '1,,2', 'a', '1-2-3', '-', '3 4']) assert.match(at(bad, 10), /is not a packet number or span/, bad);
});
