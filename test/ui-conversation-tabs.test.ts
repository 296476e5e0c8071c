// The UI's conversations (C) and endpoints (H) views, tab by tab: Ethernet, IPv4, IPv6, TCP and UDP.
// The tables the store counts for them equal tshark's -z conv,… and -z endpoints,… on corpus
// captures with IPv6, several MAC addresses and tunnels, over every packet and over what a display
// filter shows (tshark: the filter after the type); and in a real terminal the tabs switch, the
// endpoints view opens, a column sorts, and a display filter changes the counts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import '../src/app/features';
import { PacketStore } from '../src/store/packet-store';
import { TalkerCount } from '../src/store/talkers';
import { FilterRun } from '../src/store/filter-run';
import { buildConversations, buildUdpConversations } from '../src/store/conversations';
import { compileFilter } from '../src/filter';
import { MainOptions } from '../src/hooks';
import { ADDRESS_KINDS, ConversationTable } from '../src/reports/statistics/conversations';
import { conversationsText, endpointsText } from '../src/output/statistics-text';
import { corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { runCommand } from './helpers/parallel';
import { Tmux, haveTmux, lineWith, plain } from './helpers/tmux';
import { humanBytes } from '../src/ui/views/conversations';

const corpus = corpusDir();
const haveTshark = spawnSync('tshark', ['--version']).status === 0;
const skipCorpus = corpus === null ? NO_CORPUS_REASON : haveTshark ? false : 'tshark is not installed';
const OPTS: MainOptions = { promiscuous: true, field: [], fieldOption: [], pref: [], ui: true };

/** Captures with IPv6, several MAC addresses, Ethernet and IP inside UDP tunnels, and display filters that keep part of each. */
const CASES: [string, string][] = [
  ['ja4/latest.pcapng', 'dns || tcp.len > 0'],
  ['ja4/ipv6.pcapng', 'ipv6 && frame.len > 100'],
  ['tcpdump-protocols/vxlan.pcap', 'icmp'],
  ['tcpdump-protocols/icmpv6.pcap', 'icmpv6.type == 135'],
  ['local/multi-interface.pcapng', 'udp'],
];

/** Every table, as tshark lists its -z tables: the last one asked for first. */
const TABLES = ADDRESS_KINDS.flatMap((k) => [{ kind: k, endpoints: false }, { kind: k, endpoints: true }]);

function loaded(store: PacketStore): Promise<void> {
  return new Promise((resolve) => {
    if (!store.loading) return resolve();
    store.onChange(() => { if (!store.loading) resolve(); });
  });
}

function matchesOf(store: PacketStore, expr: string): FilterRun {
  const run = new FilterRun(store, expr, compileFilter(expr));
  while (!run.done) run.step(performance.now() + 20);
  return run;
}

/** The store's tables in tshark's layout; the UDP and TCP conversations also from the index columns (the views' own tabs). */
function storeTables(store: PacketStore, filter: string | undefined): string {
  const only = filter === undefined ? null : matchesOf(store, filter).matches;
  let s = '';
  for (const { kind, endpoints } of [...TABLES].reverse()) {
    const count = new TalkerCount(store, kind, endpoints, only);
    while (!count.step(performance.now() + 20));
    s += count.table instanceof ConversationTable ? conversationsText(count.table, filter) : endpointsText(count.table, filter);
  }
  return s;
}

/** Packets each way of every TCP and UDP conversation: "A:p B:q →n ←m", sorted. */
function transportPairs(text: string, title: string): string[] {
  const part = text.split(`${title} Conversations\n`)[1].split('\n====')[0];
  return [...part.matchAll(/^(\S+)\s+<->\s+(\S+)\s+(\d+) \d+ \w+\s+(\d+) /gm)].map((m) => `${m[1]} ${m[2]} →${m[4]} ←${m[3]}`).sort();
}

test('conversations and endpoints of every tab equal tshark\'s -z conv and -z endpoints, over all packets and under a display filter', { skip: skipCorpus }, async (t) => {
  const args = (file: string, filter?: string): string[] =>
    ['-n', '-r', file, '-q', ...TABLES.flatMap(({ kind, endpoints }) => ['-z', `${endpoints ? 'endpoints' : 'conv'},${kind}${filter ? `,${filter}` : ''}`])];
  let rows = 0;
  for (const [name, filter] of CASES) {
    const file = path.join(corpus!, 'valid', name);
    const [all, filtered] = await Promise.all([runCommand('tshark', args(file)), runCommand('tshark', args(file, filter))]);
    const store = PacketStore.openFile(file, OPTS, false);
    await loaded(store);
    try {
      for (const [want, f] of [[all.stdout, undefined], [filtered.stdout, filter]] as const) {
        const ours = storeTables(store, f);
        // tshark prints its tables after a blank line; the filtered ones name the filter
        assert.equal(ours, want.replace(/^\n/, ''), `${name} ${f ?? 'all packets'}`);
        rows += (ours.match(/<->|^\S+\s+\d+\s+\d+/gm) ?? []).length;
        // the TCP and UDP tabs count from the index columns: the same packets each way
        const only = f === undefined ? null : matchesOf(store, f).matches;
        const ix = store.index;
        // (the index keeps a tunnelled frame's inner addresses and ports: its UDP tab does not list the tunnel's own datagrams)
        const tabs = [['TCP', buildConversations(ix, ix.count, only)], ['UDP', buildUdpConversations(ix, only)]] as const;
        for (const [title, t] of name.includes('vxlan') ? tabs.slice(0, 1) : tabs) {
          const pairs: string[] = [];
          const ep = (a: number, p: number): string => `${ix.addresses.text(a)}:${p}`;
          for (let s = 0; s < t.n; s++) {
            if (t.firstPacket[s] < 0) continue;
            pairs.push(`${ep(t.clientAddr[s], t.clientPort[s])} ${ep(t.serverAddr[s], t.serverPort[s])} →${t.packetsToServer[s]} ←${t.packetsToClient[s]}`);
          }
          assert.deepEqual(pairs.sort(), transportPairs(want, title), `${name} ${f ?? 'all packets'}: ${title} tab`);
        }
      }
    } finally {
      store.close();
    }
  }
  assert.ok(rows > 100, `rows compared: ${rows}`);
  t.diagnostic(`${rows} table rows equal tshark's`);
});

/** The rows of one of tshark's -z tables in `text` ("IPv4 Endpoints", filter or none), as their lines. */
function tsharkRows(text: string, title: string, filter?: string): string[] {
  const head = `${title}\nFilter:${filter ?? '<No Filter>'}\n`;
  const at = text.indexOf(head);
  assert.ok(at >= 0, `tshark printed ${title} ${filter ?? ''}`);
  const body = text.slice(at + head.length, text.indexOf('\n====', at));
  return body.split('\n').filter((l) => !l.includes('|'));
}

/** Waits for a table's title once its counting has finished. */
function counted(t: Tmux, title: RegExp): Promise<string> {
  return t.waitFor((s) => title.test(s) && !/counting \d+%/.test(s), `${title} counted`);
}

/** The data rows of the view on screen: from the line under the column titles. */
function viewRows(s: string, firstTitle: string): string[] {
  const lines = s.split('\n').map(plain);
  const h = lines.findIndex((l) => l.startsWith(` ${firstTitle}`));
  const out: string[] = [];
  for (let k = h + 1; k < lines.length && lines[k].trim() !== ''; k++) out.push(lines[k].slice(1));
  return out;
}

function tabsInTerminal(width: number, height: number): Promise<void> {
  const LATEST = path.join(corpus!, 'valid/ja4/latest.pcapng');
  const z = spawnSync('tshark', ['-n', '-r', LATEST, '-q', ...['conv,eth', 'conv,ip', 'conv,ipv6', 'conv,udp', 'endpoints,ip', 'endpoints,ip,dns'].flatMap((x) => ['-z', x])], { encoding: 'utf8' }).stdout;
  const rowsOf = (title: string, filter?: string): string[] => tsharkRows(z, title, filter);
  const ipEndpoints = rowsOf('IPv4 Endpoints').map((l) => l.trim().split(/\s+/)).map((f) => ({ addr: f[0], packets: Number(f[1]), bytes: Number(f[2]) }));
  const dnsEndpoints = rowsOf('IPv4 Endpoints', 'dns').map((l) => l.trim().split(/\s+/)).map((f) => ({ addr: f[0], packets: Number(f[1]), bytes: Number(f[2]) }));
  assert.ok(ipEndpoints.length > 10 && dnsEndpoints.length >= 2 && dnsEndpoints.length < ipEndpoints.length);
  const t = Tmux.start(['-r', LATEST], {}, width, height);
  return (async () => {
    await t.waitForText('shown 209 / 209');
    t.keys('C');
    await t.waitForText('TCP conversations: 11');
    // Tab goes on to UDP, then round to Ethernet, IPv4 and IPv6; Shift-Tab back
    t.keys('Tab');
    await t.waitForText(`UDP conversations: ${rowsOf('UDP Conversations').length} `);
    t.keys('Tab');
    let s = await counted(t, new RegExp(`Ethernet conversations: ${rowsOf('Ethernet Conversations').length} `));
    assert.match(s, /Address A\s+Address B\s+Packets\s+Bytes/);
    t.keys('Tab');
    await counted(t, new RegExp(`IPv4 conversations: ${rowsOf('IPv4 Conversations').length} `));
    t.keys('Tab');
    await counted(t, new RegExp(`IPv6 conversations: ${rowsOf('IPv6 Conversations').length} `));
    t.keys('BTab');
    await counted(t, /IPv4 conversations: /);
    t.keys('Escape');
    await t.waitForText('Display filter: none');

    // the endpoints view, on the tab the conversations were left on
    t.keys('H');
    s = await counted(t, new RegExp(`IPv4 endpoints: ${ipEndpoints.length} `));
    assert.match(s, /sort: none/);
    // s twice: Address, Packets, then Bytes, largest first
    t.keys('s', 's');
    await t.waitForText('sort: Packets \u2193');
    t.keys('s');
    s = await t.waitForText('sort: Bytes \u2193');
    const byBytes = [...ipEndpoints].sort((a, b) => b.bytes - a.bytes);
    let rows = viewRows(s, 'Address');
    assert.ok(rows.length >= Math.min(ipEndpoints.length, height - 4), `rows on screen: ${rows.length}`);
    assert.match(rows[0], new RegExp(`^${byBytes[0].addr.replace(/\./g, '\\.')}\\s+${byBytes[0].packets}\\s+${humanBytes(byBytes[0].bytes).replace('.', '\\.')}\\s`));
    // Address, Packets, then Bytes ("9.0 KiB", "54 B")
    assert.deepEqual(rows.map((r) => /^\S+\s+\d+\s+([\d.]+ \S+)/.exec(r)?.[1]), byBytes.slice(0, rows.length).map((e) => humanBytes(e.bytes)));
    // r: smallest first
    t.keys('r');
    s = await t.waitForText('sort: Bytes \u2191');
    rows = viewRows(s, 'Address');
    const smallest = byBytes[byBytes.length - 1].addr;
    assert.match(rows[0], new RegExp(`^${smallest.replace(/\./g, '\\.')}\\s`));
    // Enter filters the packet list to the endpoint under the cursor
    t.keys('Enter');
    const only = `ip.addr == ${smallest}`;
    const n = spawnSync('tshark', ['-n', '-r', LATEST, '-Y', only], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
    await t.waitForText(`Display filter: ${only}`);
    await t.waitForText(`shown ${n} / 209`);
    t.keys('x');
    await t.waitForText('Display filter: none');

    // a display filter: the endpoints count only what it shows
    t.keys('/');
    await t.waitForText('Filter:');
    t.literal('dns');
    t.keys('Enter');
    await t.waitFor((x) => x.includes('Display filter: dns') && !x.includes('filtering\u2026'), 'the filter to have run');
    t.keys('H');
    s = await counted(t, new RegExp(`IPv4 endpoints: ${dnsEndpoints.length} shown by dns `));
    for (const e of dnsEndpoints) assert.match(lineWith(s, new RegExp(`^.${e.addr.replace(/\./g, '\\.')}\\s`)), new RegExp(`\\s${e.packets}\\s+${humanBytes(e.bytes).replace('.', '\\.')}\\s`));
    // the sort stays while the view is open and the tabs switch: Tab twice to TCP
    t.keys('Tab', 'Tab');
    await counted(t, /TCP endpoints: \d+ shown by dns /);
    t.keys('Escape');
    await t.waitForText('Display filter: dns');
    t.keys('q');
    await t.waitForText('[tcpwatch exited 0]');
  })().finally(() => t.kill());
}

const skipTmux = skipCorpus || (haveTmux() ? false : 'tmux is not installed');

test('in the terminal (160x50): the tabs switch, the endpoints view opens, s sorts by Bytes largest first and r reverses, a display filter changes the counts', { skip: skipTmux }, () =>
  tabsInTerminal(160, 50));

test('in the terminal (80x24): the same, the title keeping the count and the sort', { skip: skipTmux }, () =>
  tabsInTerminal(80, 24));
