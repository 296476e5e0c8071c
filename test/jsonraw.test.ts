// -T jsonraw against tshark 4.0's on a few corpus captures (TCP, DNS over UDP and TCP, TLS, HTTP):
// every _raw array (hex, offset, length, bitmask, type) read with its key path, and the members
// tshark writes without one (a protocol's subtree, a text item's ""), compared frame by frame as a
// multiset, since tcpwatch writes hidden fields (ip.addr) after the others where tshark writes them
// among them. The share of tshark's entries tcpwatch writes the same is reported per protocol and
// must not fall below the floors; -T json -x must write the same _raw arrays beside the values.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { runCli, runCommand, inParallel, CliRun } from './helpers/parallel';

const corpus = corpusDir();
const FILES = ['tcpdump/dns_tcp.pcap', 'ja4/tls12.pcap', 'ja4/http1-with-cookies.pcapng'];

/**
 * Entries of tshark's -T jsonraw tcpwatch writes the same, at least, per protocol (measured; raise
 * them as they rise).
 */
const FLOORS: Readonly<Record<string, number>> = {
  frame: 372, eth: 168, ip: 384, tcp: 587, dns: 117, tls: 156, http: 36, 'data-text-lines': 37,
};
/** Entries of tshark's -T json -x (values and _raw arrays) on dns_tcp.pcap that tcpwatch writes the same, at least (measured). */
const JSON_X_FLOOR = 1718;

/**
 * Each frame's entries: `path = value` for every scalar and every array of scalars (a _raw array,
 * joined), paths built from the keys above. Read by hand, since JSON.parse keeps only the last of
 * repeated keys and tshark repeats a key for each occurrence of a field.
 */
function frameEntries(json: string): string[][] {
  const frames: string[][] = [];
  let i = 0;
  const space = (): void => { while (i < json.length && /\s/.test(json[i])) i++; };
  const str = (): string => {
    const from = i;
    i++;
    while (i < json.length && json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(json.slice(from, i)) as string;
  };
  const scalar = (): string => {
    if (json[i] === '"') return JSON.stringify(str());
    const from = i;
    while (i < json.length && !/[,\]}\s]/.test(json[i])) i++;
    return json.slice(from, i);
  };
  // Reads the value at i under `at`, pushing its entries to `out`.
  const value = (at: string, out: string[] | null, depth: number): void => {
    space();
    if (json[i] === '{') {
      i++;
      space();
      if (depth === 1) frames.push((out = []));
      while (json[i] !== '}') {
        const key = str();
        space();
        i++; // ':'
        value(at === '' ? key : `${at}.${key}`, out, depth + 1);
        space();
        if (json[i] === ',') { i++; space(); }
      }
      i++;
    } else if (json[i] === '[') {
      i++;
      space();
      const items: string[] = [];
      let scalars = true;
      while (json[i] !== ']') {
        if (json[i] === '{' || json[i] === '[') {
          scalars = false;
          value(at, out, depth + 1);
        } else items.push(scalar());
        space();
        if (json[i] === ',') { i++; space(); }
      }
      i++;
      if (scalars && out !== null && at.startsWith(LAYERS)) out.push(`${at} = [${items.join(',')}]`);
    } else {
      const v = scalar();
      if (out !== null && at.startsWith(LAYERS)) out.push(`${at} = ${v}`);
    }
  };
  value('', null, 0);
  return frames;
}

const LAYERS = '_source.layers.';

/** The protocol an entry stands under: the first key below _source.layers, without _raw. */
const protocolOf = (entry: string): string => entry.split(' = ')[0].split('.')[2].replace(/_raw$/, '');

/** How many of `theirs` are in `ours`, as multisets. */
function matched(ours: readonly string[], theirs: readonly string[]): number {
  const left = new Map<string, number>();
  for (const e of ours) left.set(e, (left.get(e) ?? 0) + 1);
  let n = 0;
  for (const e of theirs) {
    const k = left.get(e) ?? 0;
    if (k > 0) { n++; left.set(e, k - 1); }
  }
  return n;
}

test('-T jsonraw writes tshark\'s raw arrays on TCP, DNS over TCP, TLS and HTTP captures', { skip: corpus === null ? NO_CORPUS_REASON : false, timeout: 120_000 }, async (t) => {
  const byProto = new Map<string, [number, number]>();
  const firstMiss = new Map<string, string>();
  const run = (name: string): Promise<[CliRun, CliRun]> => {
    const args = ['-r', path.join(corpus!, 'valid', name), '-T', 'jsonraw'];
    return Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
  };
  await inParallel(FILES, run, (name, [ours, theirs]) => {
    assert.equal(ours.status, 0, ours.stderr);
    const o = frameEntries(ours.stdout), w = frameEntries(theirs.stdout);
    assert.equal(o.length, w.length, `${name}: frames`);
    for (let f = 0; f < w.length; f++) {
      for (const proto of new Set(w[f].map(protocolOf))) {
        const mine = o[f].filter((e) => protocolOf(e) === proto), wire = w[f].filter((e) => protocolOf(e) === proto);
        const c = byProto.get(proto) ?? [0, 0];
        c[0] += matched(mine, wire);
        c[1] += wire.length;
        byProto.set(proto, c);
        if (!firstMiss.has(proto)) {
          const miss = wire.find((e) => !mine.includes(e));
          if (miss !== undefined) firstMiss.set(proto, `${name} frame ${f + 1}: ${miss}`);
        }
      }
    }
  });
  const lines = [...byProto].map(([p, [a, n]]) => `${p}: ${a}/${n}${firstMiss.has(p) ? `  (first missing: ${firstMiss.get(p)})` : ''}`);
  t.diagnostic(`entries agreeing with tshark -T jsonraw:\n${lines.join('\n')}`);
  for (const [proto, floor] of Object.entries(FLOORS)) {
    const got = byProto.get(proto)?.[0] ?? 0;
    assert.ok(got >= floor, `${proto}: ${got} entries agree with tshark, below the floor of ${floor}`);
  }
});

test('-T json -x writes tshark\'s _raw arrays beside the values', { skip: corpus === null ? NO_CORPUS_REASON : false, timeout: 60_000 }, async (t) => {
  const args = ['-r', path.join(corpus!, 'valid', 'tcpdump/dns_tcp.pcap'), '-T', 'json', '-x'];
  const [ours, theirs] = await Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
  assert.equal(ours.status, 0, ours.stderr);
  const o = frameEntries(ours.stdout), w = frameEntries(theirs.stdout);
  assert.equal(o.length, w.length, 'frames');
  let agree = 0, total = 0, raw = 0;
  for (let f = 0; f < w.length; f++) {
    agree += matched(o[f], w[f]);
    total += w[f].length;
    raw += o[f].filter((e) => /_raw = /.test(e)).length;
  }
  t.diagnostic(`-T json -x: ${agree}/${total} entries agree with tshark; tcpwatch wrote ${raw} _raw arrays`);
  assert.ok(raw > 0, 'no _raw arrays');
  assert.ok(agree >= JSON_X_FLOOR, `${agree} entries agree with tshark, below the floor of ${JSON_X_FLOOR}`);
});
