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
