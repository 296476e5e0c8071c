// Custom columns (issue #19): tshark's -o gui.column.format on the command line, compared with
// tshark 4.0 byte for byte on corpus captures; in the UI (tmux), a field of the details pane added
// as a column, moved, resized and removed, its values checked against tshark -T fields -e FIELD for
// the same frames, and the columns kept in the configuration profile across restarts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON, CLI } from './helpers/corpus';
import { Tmux, haveTmux, lineWith, plain } from './helpers/tmux';

const corpus = corpusDir();
const haveTshark = spawnSync('tshark', ['--version']).status === 0;
const skip = corpus === null ? NO_CORPUS_REASON : !haveTshark ? 'tshark is not installed' : false;
const capture = (rel: string): string => path.join(corpus ?? '', rel);

function tshark(args: string[]): string {
  const r = spawnSync('tshark', ['-n', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, HOME: os.tmpdir() } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function tcpwatch(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, '--no-ui', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...env } });
}

// Built-in columns in orders tshark lays out differently (an arrow only between a source and the
// destination after it, a left arrow the other way round), and custom columns of several types:
// integers, addresses, strings, value names resolved (R) and not (U), an occurrence from the end.
const FORMATS = [
  '"No.","%m","Time","%t","Source","%s","Destination","%d","TTL","%Cus:ip.ttl:0:U","Protocol","%p","Length","%L","Info","%i"',
  '"No.","%m","Dst","%d","Src","%s","Query type","%Cus:dns.qry.type:0:U","Len","%Cus:tcp.len:0:U","Info","%i"',
  '"No.","%m","Win","%Cus:tcp.window_size","Port","%Cus:udp.port:-1:U","Stream","%Cus:tcp.stream","Name","%Cus:dns.qry.name"',
  // Booleans resolved into their words (Set, "Message is a response") or not (1/0); hex under a
  // bitmask at the mask's width (tcp.flags 0x002, ipv6.flow 0x25bab, ip.flags 0x2); a protocol as ✓.
  '"SYN","%Cus:tcp.flags.syn","Flags","%Cus:tcp.flags:0:U","Flow","%Cus:ipv6.flow","TC","%Cus:ipv6.tclass:0:U","Resp","%Cus:dns.flags.response:0:R",' +
    '"RD","%Cus:dns.flags.recdesired:0:U","IP flags","%Cus:ip.flags","DF","%Cus:ip.flags.df","DNS flags","%Cus:dns.flags","TCP","%Cus:tcp"',
  '"Protocol","%p","Source","%s","Time","%t","Src port","%Cus:tcp.srcport:1:U","Length","%L"',
];
const CAPTURES = [
  'valid/local/ipv6-tls13.pcap',
  'valid/tcpdump-protocols/dns-uri.pcap',
  'valid/local/multi-interface.pcapng',
  'valid/local/any-sll2.pcap',
];

test('-o gui.column.format: the summary line over any columns, as tshark 4.0 prints it', { skip }, () => {
  let lines = 0;
  for (const rel of CAPTURES) {
    for (const fmt of FORMATS) {
      const want = tshark(['-r', capture(rel), '-o', `gui.column.format:${fmt}`]);
      const got = tcpwatch(['-r', capture(rel), '-o', `gui.column.format:${fmt}`]);
      assert.equal(got.status, 0, got.stderr);
      assert.equal(got.stdout, want, `${rel} with ${fmt}`);
      lines += want.split('\n').length - 1;
    }
  }
  assert.ok(lines > 200, `compared ${lines} lines`);
});

test('-o gui.column.format: a flag\'s own words resolved (icmpv6.ni.flag.a) and True/False for one with none (icmpv6.mld.flag.s)', { skip }, () => {
  const fmt = '"No.","%m","A","%Cus:icmpv6.ni.flag.a:0:R","A raw","%Cus:icmpv6.ni.flag.a:0:U","S","%Cus:icmpv6.mld.flag.s:0:R","S raw","%Cus:icmpv6.mld.flag.s:0:U","T","%Cus:icmpv6.ni.flag.t:0:R"';
  const words = new Set<string>();
  for (const rel of ['valid/tcpdump-protocols/icmpv6-ni-flags.pcap', 'valid/tcpdump-protocols/icmpv6_nodeinfo_replyipv6.pcap', 'valid/tcpdump/icmpv6_nodeinfo_queryipv6.pcap', 'valid/tcpdump-protocols/icmpv6.pcap']) {
    const want = tshark(['-r', capture(rel), '-o', `gui.column.format:${fmt}`]);
    const got = tcpwatch(['-r', capture(rel), '-o', `gui.column.format:${fmt}`]);
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout, want, `${rel} with ${fmt}`);
    for (const w of ['All unicast address', 'Unicast addresses on the queried interface', 'False']) if (want.includes(w)) words.add(w);
  }
  // Both of the A flag's words and MLD's False occur in these captures: each was compared.
  assert.equal(words.size, 3, [...words].join(', '));
});

test('-T fields pads hex under a bitmask to the type\'s width, as tshark 4.0 does (0x0002, 0x025bab)', { skip }, () => {
  const fields = ['tcp.flags', 'ipv6.flow', 'ipv6.tclass', 'ip.flags', 'dns.flags'].flatMap((f) => ['-e', f]);
  let lines = 0;
  for (const rel of ['valid/local/ipv6-tls13.pcap', 'valid/tcpdump-protocols/dns-uri.pcap']) {
    const want = tshark(['-r', capture(rel), '-T', 'fields', ...fields]);
    const got = tcpwatch(['-r', capture(rel), '-T', 'fields', ...fields]);
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout, want, rel);
    lines += want.split('\n').length - 1;
  }
  assert.ok(lines > 20, `compared ${lines} lines`);
});

test('-o gui.column.format: a wrong format, field or quote is one line and exit status 2', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const file = capture('valid/local/ipv6-tls13.pcap');
  for (const [fmt, said] of [
    ['"No.","%m","Info"', /pairs of title and format/],
    ['"No.","%zz"', /unknown column format "%zz"/],
    ['"TTL","%Cus:ip.tll"', /unknown field "ip.tll" in column "TTL" \(did you mean "ip.ttl"\?\)/],
    ['"TTL","%Cus:ip.ttl:x"', /invalid occurrence "x"/],
    ['"TTL","%Cus:ip.ttl:0:Q"', /R \(resolved\) or U \(unresolved\)/],
    ['"No.","%m', /a quote is not closed/],
  ] as const) {
    const r = tcpwatch(['-r', file, '-o', `gui.column.format:${fmt}`]);
    assert.equal(r.status, 2, `${fmt}: ${r.stderr}`);
    assert.match(r.stderr, said);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});

// ---------------------------------------------------------------- in the UI, in a real terminal

const noTmux = haveTmux() ? false : 'tmux is not installed';
const skipUi = noTmux || skip;
const TLS13 = capture('valid/local/ipv6-tls13.pcap');
const FIELD_LINE = 'TCP Segment Len:';
const TITLE = 'TCP Segment Len';

/** tshark's -T fields values of `field`, by frame number. */
function tsharkValues(file: string, field: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of tshark(['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', field]).split('\n')) {
    if (line === '') continue;
    const [no, value] = line.split('\t');
    out.set(Number(no), value ?? '');
  }
  return out;
}

/** The header line of the packet list and where a column whose title starts with `title` (or `[title`, picked) begins and the next one. */
function columnSpan(screen: string, title: string, nextTitle: string): { start: number; end: number } {
  const header = plain(lineWith(screen, /^\s+No\. /));
  let start = header.indexOf(`[${title.slice(0, 8)}`);
  if (start < 0) start = header.indexOf(title.slice(0, 8));
  const end = header.indexOf(nextTitle, start + 1);
  assert.ok(start > 0 && end > start, `column ${title} before ${nextTitle} in the header:\n${header}`);
  return { start, end };
}

/** The column's value in each packet row on screen, by frame number. */
function columnOnScreen(screen: string, span: { start: number; end: number }): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of screen.split('\n')) {
    const text = plain(line);
    const m = /^.\s+(\d+) /.exec(text);
    if (m === null || text.includes('Packet details')) continue;
    out.set(Number(m[1]), text.slice(span.start, span.end).trim());
    if (out.size > 0 && /^ Packet details/.test(text)) break;
  }
  return out;
}

/** The packet rows only: the lines between the header and the details title. */
function listPart(screen: string): string {
  const lines = screen.split('\n');
  const from = lines.findIndex((l) => /^\s+No\. /.test(plain(l)));
  const to = lines.findIndex((l) => plain(l).startsWith(' Packet details'));
  return lines.slice(from + 1, to).join('\n');
}

/** Tab to the details pane and down until the selected line holds `text`. */
async function selectDetailsLine(t: Tmux, text: string): Promise<void> {
  t.keys('Tab');
  for (let k = 0; k < 40; k++) {
    const s = await t.waitFor((x) => x.includes('Packet details'), 'details', 5000);
    const lines = s.split('\n');
    const title = lines.findIndex((l) => l.startsWith(' Packet details'));
    const selected = lines.slice(title + 1).find((l) => l.startsWith('\u25b6'));
    if (selected !== undefined && selected.includes(text)) return;
    t.keys('j');
    await new Promise((r) => setTimeout(r, 60));
  }
  throw new Error(`no details line with ${text}:\n${t.screen()}`);
}

async function columnAgreesWithTshark(t: Tmux, want: Map<number, string>): Promise<number> {
  const s = await t.waitFor((x) => /\[?TCP Segm/.test(x), 'the custom column', 8000);
  const values = columnOnScreen(listPart(s), columnSpan(s, TITLE, 'Time'));
  assert.ok(values.size >= 5, `rows on screen: ${values.size}\n${s}`);
  for (const [no, v] of values) assert.equal(v, want.get(no), `frame ${no}: the column shows "${v}", tshark -e tcp.len "${want.get(no)}"`);
  return values.size;
}

async function waitForFile(file: string, want: RegExp, timeoutMs = 8000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (want.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${file} never had ${want}: ${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function withTmux(args: string[], env: Record<string, string>, width: number, height: number, fn: (t: Tmux) => Promise<void>): Promise<void> {
  const t = Tmux.start(args, env, width, height);
  return fn(t).finally(() => t.kill());
}

for (const [width, height] of [[160, 50], [80, 24]] as const) {
  test(`UI ${width}x${height}: A adds a field of the details pane as a column, { } move it, - + resize it, Delete removes it; the values are tshark's, and the profile keeps them across restarts`, { skip: skipUi }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-columns-'));
    const env = { XDG_CONFIG_HOME: home };
    const want = tsharkValues(TLS13, 'tcp.len');
    try {
      await withTmux(['-r', TLS13], env, width, height, async (t) => {
        await t.waitForText('shown 36 / 36');
        await selectDetailsLine(t, FIELD_LINE);
        t.keys('A');
        // (the status bar's message is cut at 80 columns: the profile says the column is there)
        await waitForFile(path.join(home, 'tcpwatch', 'preferences'), /%Cus:tcp\.len:0:U/);
        // back to the list; the new column, picked, goes right after No. so that it is on screen at 80 columns too
        t.keys('Tab', 'Tab');
        for (let k = 0; k < 6; k++) t.keys('{');
        await t.waitFor((x) => /No\. \[TCP Segm/.test(x), 'the column after No.', 8000);
        await columnAgreesWithTshark(t, want);
        // wider by 3: the header's next title moves 3 cells right
        const before = columnSpan(t.screen(), TITLE, 'Time');
        t.keys('+', '+', '+');
        await t.waitFor((x) => columnSpan(x, TITLE, 'Time').end === before.end + 3, 'the column 3 cells wider', 8000);
        // frames further down the capture agree too
        t.keys('End');
        await t.waitForText(/Packet details — frame 36\b/);
        await columnAgreesWithTshark(t, want);
        t.keys('q');
        await t.waitForText('[tcpwatch exited 0]');
      });
      const prefs = fs.readFileSync(path.join(home, 'tcpwatch', 'preferences'), 'utf8');
      assert.match(prefs, /^gui\.column\.format: "No\.", "%m", "TCP Segment Len", "%Cus:tcp\.len:0:U", "Time", "%t",/m);
      // the profile's columns are tshark's too: the same preference on tshark's command line gives the same values
      const format = /^gui\.column\.format: (.*)$/m.exec(prefs)![1];
      assert.equal(tcpwatch(['-r', TLS13], env).stdout, tshark(['-r', TLS13, '-o', `gui.column.format:${format}`]));
      await withTmux(['-r', TLS13], env, width, height, async (t) => {
        await t.waitForText('shown 36 / 36');
        // the same column, in the same place, 18 cells wide
        const s = await t.waitFor((x) => /No\. TCP Segment Len +Time/.test(x), 'the kept column', 8000);
        const span = columnSpan(s, TITLE, 'Time');
        assert.equal(span.end - span.start, 19);
        await columnAgreesWithTshark(t, want);
        // picked again (> from none picks the first, No.; once more the custom one) and removed
        t.keys('>', '>');
        await t.waitFor((x) => /No\. \[TCP Segm/.test(x), 'the column picked', 8000);
        t.keys('DC');
        await t.waitFor((x) => /No\. \[Time\] /.test(x) && !x.includes('TCP Segment Len '), 'the column gone', 8000);
        t.keys('q');
        await t.waitForText('[tcpwatch exited 0]');
      });
      assert.doesNotMatch(fs.readFileSync(path.join(home, 'tcpwatch', 'preferences'), 'utf8'), /tcp\.len/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
}

// ---------------------------------------------------------------- profiles and copying

test('profiles: -C NAME must exist; its preferences give headless output its columns as tshark\'s; in the UI its time format, recent filters and colouring rules are its own, kept across restarts', { skip: skipUi }, async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-profile-'));
  const env = { XDG_CONFIG_HOME: home };
  try {
    const missing = tcpwatch(['-r', TLS13, '-C', 'lab'], env);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^tcpwatch: Configuration Profile "lab" does not exist/);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    assert.equal(tcpwatch(['-r', TLS13, '-C', '../x'], env).status, 2);
    const lab = path.join(home, 'tcpwatch', 'profiles', 'lab');
    fs.mkdirSync(lab, { recursive: true });
    const format = '"No.", "%m", "Stream", "%Cus:tcp.stream", "Source", "%s", "Destination", "%d", "Info", "%i"';
    // a Wireshark preferences file holds many preferences tcpwatch does not know: they are passed over
    fs.writeFileSync(path.join(lab, 'preferences'), `# Configuration file for Wireshark\ngui.qt.font_name: Monospace,10\ngui.column.format:\n    ${format}\nnameres.mac_name: FALSE\n`);
    fs.writeFileSync(path.join(lab, 'colorfilters'), '@Segments with data@tcp.len > 0@[65535,0,0][0,0,0]\n');
    assert.equal(tcpwatch(['-r', TLS13, '-C', 'lab'], env).stdout, tshark(['-r', TLS13, '-o', `gui.column.format:${format}`]));
    // the command line's -o wins over the profile's
    assert.equal(tcpwatch(['-r', TLS13, '-C', 'lab', '-o', 'gui.column.format:"No.","%m"'], env).stdout, tshark(['-r', TLS13, '-o', 'gui.column.format:"No.","%m"']));
    await withTmux(['-r', TLS13, '--profile', 'lab'], env, 80, 24, async (t) => {
      await t.waitForText('shown 36 / 36');
      await t.waitFor((x) => /No\. Stream +Source/.test(x), 'the profile\'s columns', 8000);
      t.keys('j', 'j', 'j');
      await t.waitForText('colour rule: Segments with data');
      t.keys('T');
      await t.waitForText('time: absolute');
      t.keys('/');
      t.literal('tcp.len > 0');
      t.keys('Enter');
      const withData = tshark(['-r', TLS13, '-Y', 'tcp.len > 0']).split('\n').length - 1;
      await t.waitForText(`shown ${withData} / 36`);
      t.keys('q');
      await t.waitForText('[tcpwatch exited 0]');
    });
    assert.match(fs.readFileSync(path.join(lab, 'recent'), 'utf8'), /^gui\.time_format: ABSOLUTE_WITH_YMD$/m);
    assert.match(fs.readFileSync(path.join(lab, 'recent_common'), 'utf8'), /^recent\.display_filter: tcp\.len > 0$/m);
    // the unknown preferences are still there; the Default profile was not touched
    assert.match(fs.readFileSync(path.join(lab, 'preferences'), 'utf8'), /^gui\.qt\.font_name: Monospace,10$/m);
    assert.deepEqual(fs.readdirSync(path.join(home, 'tcpwatch')), ['profiles']);
    await withTmux(['-r', TLS13, '-C', 'lab'], env, 80, 24, async (t) => {
      await t.waitForText('time: absolute');
      t.keys('/');
      await t.waitForText('Filter:');
      t.keys('Up');
      await t.waitForText(/Filter: tcp\.len > 0/);
      t.keys('Escape');
      await t.waitFor((x) => !x.includes('Filter: tcp.len'), 'the prompt closed', 8000);
      t.keys('q');
      await t.waitForText('[tcpwatch exited 0]');
    });
    // the Default profile: Wireshark's columns and time format
    await withTmux(['-r', TLS13], env, 80, 24, async (t) => {
      await t.waitForText('time: relative');
      await t.waitFor((x) => /No\. Time +Source/.test(x), 'the default columns', 8000);
      t.keys('q');
    });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('y copies the selected field\'s value, the packet\'s summary (to the clipboard through OSC 52, as tmux takes it with set-clipboard) and its hex dump (to a file), each as tshark prints it', { skip: skipUi }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-copy-'));
  const hexFile = path.join(dir, 'frame4.txt');
  try {
    await withTmux(['-r', TLS13, '--osc52'], { XDG_CONFIG_HOME: dir }, 160, 50, async (t) => {
      t.command(['set-option', '-g', 'set-clipboard', 'on']);
      await t.waitForText('shown 36 / 36');
      t.keys('j', 'j', 'j');
      await t.waitForText(/Packet details — frame 4\b/);
      await selectDetailsLine(t, FIELD_LINE);
      t.keys('y');
      await t.waitForText('Copy the field value to');
      t.keys('Enter');
      await t.waitForText('copied the field value');
      assert.equal(t.command(['show-buffer']), tsharkValues(TLS13, 'tcp.len').get(4));
      t.keys('y', 'Tab');
      await t.waitForText('Copy the packet summary to');
      t.keys('Enter');
      await t.waitForText('copied the packet summary');
      // the packet list's columns (Wireshark's default ones here) laid out as tshark's summary line
      assert.equal(t.command(['show-buffer']), tshark(['-r', TLS13, '-Y', 'frame.number == 4']).replace(/\n$/, ''));
      t.keys('y', 'Tab');
      await t.waitForText('Copy the packet hex to');
      t.literal(hexFile);
      t.keys('Enter');
      await t.waitForText('copied the packet hex');
      assert.equal(fs.readFileSync(hexFile, 'utf8'), tshark(['-r', TLS13, '-x', '-Y', 'frame.number == 4']).replace(/\n+$/, '\n'));
      t.keys('q');
      await t.waitForText('[tcpwatch exited 0]');
    });
    // without --osc52 nothing goes to the terminal's clipboard
    await withTmux(['-r', TLS13], { XDG_CONFIG_HOME: dir }, 160, 50, async (t) => {
      t.command(['set-option', '-g', 'set-clipboard', 'on']);
      await t.waitForText('colour rule: TCP SYN');
      t.keys('y');
      await t.waitForText('Copy the field value to');
      t.keys('Tab');
      await t.waitForText('Copy the packet summary to');
      t.keys('Enter');
      await t.waitForText('a file name is needed without --osc52');
      assert.equal(spawnSync('tmux', ['-L', t.socket, '-f', '/dev/null', 'show-buffer']).status, 1, 'no buffer');
      t.keys('q');
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
