// -T json against tshark 4.0's: the valid corpus read as one concatenated capture by both, and for
// each frame the key paths of its "layers" object (every key with the keys above it, repeated keys
// kept as tshark writes them) compared as a multiset: the order of keys in an object is left out,
// since tshark writes hidden fields (ip.addr) among the others and tcpwatch after them. The share of frames whose key paths
// equal tshark's is reported per protocol and overall, and must not fall below the floors.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';
import { withConcatenated } from './helpers/concatenated';
import { runCli, runCommand } from './helpers/parallel';

const corpus = corpusDir();
/**
 * Frames whose key paths under a protocol equal tshark's, at least (measured; raise them as they
 * rise).
 */
const FLOORS: Readonly<Record<string, number>> = {
  frame: 3181, eth: 2924, ip: 2751, udp: 1213, tcp: 1511, data: 147, dns: 155, quic: 707, icmpv6: 55, tls: 69, icmp: 35, http: 20, geneve: 20, ssh: 10,
};

/** One frame's document read flat: every key path, and every key path with the string it holds. */
interface FlatFrame {
  paths: string[];
  /** `path\tvalue` of each key holding a string. */
  values: string[];
}

/**
 * The key paths of each element of the top-level array, and the strings they hold, read without
 * JSON.parse (which keeps only the last of repeated keys, and tshark repeats a key for each
 * occurrence of a field).
 */
function flatFrames(json: string): FlatFrame[] {
  const frames: FlatFrame[] = [];
  // Open containers: '{' with the path to it, or '['; `key` is the last key read in an object.
  const stack: { object: boolean; path: string }[] = [];
  let key: string | null = null;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const s = json.slice(i + 1, j);
      i = j;
      let k = i + 1;
      while (k < json.length && (json[k] === ' ' || json[k] === '\n' || json[k] === '\t' || json[k] === '\r')) k++;
      const top = stack[stack.length - 1];
      if (top === undefined || !top.object || stack.length < 2 || frames.length === 0) continue;
      if (json[k] === ':') {
        key = top.path === '' ? s : `${top.path}.${s}`;
        frames[frames.length - 1].paths.push(key);
      } else if (key !== null) {
        frames[frames.length - 1].values.push(`${key}\t${s}`);
      }
    } else if (c === '{' || c === '[') {
      const top = stack[stack.length - 1];
      if (stack.length === 1 && c === '{') frames.push({ paths: [], values: [] });
      stack.push({ object: c === '{', path: top === undefined || !top.object ? (top?.path ?? '') : key ?? '' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    }
  }
  return frames;
}

/**
 * Values that must equal tshark's on every frame that has them, by the key paths that hold them:
 * TCP options (the options' bytes, each option's bytes and its kind, length and values; of MPTCP's
 * only the kind and length, its other fields not all read yet), and each Ethernet address's OUI and
 * the vendor manuf names for it (which tshark gives with name resolution off too).
 */
const VALUES_AGREEING: Readonly<Record<string, { paths: RegExp; atLeast: number; notOver?: string }>> = {
  'TCP options': { paths: /\.tcp\.tcp\.options(_tree\.(tcp\.|mptcp\.tcp\.option_(kind|len)$)|$)/, atLeast: 800 },
  'Ethernet OUIs': { paths: /\.eth\.eth\.(dst|src)_tree\.eth\.(dst|src|addr)\.oui(_resolved)?$/, atLeast: 3000 },
  // Each segment's frame, the count, the length and the bytes of a PDU reassembled from several
  // segments (TLS records, HTTP messages); SSH's tcpwatch reads without collecting them.
  'TCP reassembled segments': { paths: /^_source\.layers\.tcp\.segments\./, atLeast: 50, notOver: 'ssh' },
};
/** An option node itself, directly under the options (tcp.options.mss), holding the option's bytes. */
const TCP_OPTION_NODE = /\.tcp\.options_tree\.(tcp\.options\.[a-z_]+)\t/;

test('-T json has tshark\'s key paths on the valid corpus', { skip: corpus === null ? NO_CORPUS_REASON : false, timeout: 1_200_000 }, async (t) => {
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.pcap(ng)?$/.test(n));
  await withConcatenated(files, async ({ file, where }) => {
    const args = ['-r', file, '-T', 'json'];
    const [ours, theirs] = await Promise.all([runCli(args), runCommand('tshark', ['-n', ...args])]);
    const oursFlat = flatFrames(ours.stdout), theirsFlat = flatFrames(theirs.stdout);
    const o = oursFlat.map((f) => f.paths.sort()), w = theirsFlat.map((f) => f.paths.sort());
    assert.equal(o.length, w.length, 'frames');
    let agree = 0;
    const byProto = new Map<string, [number, number]>();
    const firstDiff = new Map<string, string>();
    for (let f = 0; f < w.length; f++) {
      const same = o[f].join('\n') === w[f].join('\n');
      if (same) agree++;
      // Per protocol: the paths under each top-level layer key (_source.layers.<proto>).
      const protos = new Set(w[f].map((p) => p.split('.')[2]).filter((p) => p !== undefined));
      for (const proto of protos) {
        const mine = (list: string[]): string => list.filter((p) => p.split('.')[2] === proto).join('\n');
        const c = byProto.get(proto) ?? [0, 0];
        c[1]++;
        if (mine(o[f]) === mine(w[f])) c[0]++;
        else if (!firstDiff.has(proto)) {
          const a = w[f].filter((p) => p.split('.')[2] === proto), b = o[f].filter((p) => p.split('.')[2] === proto);
          const missing = a.filter((x) => !b.includes(x)), extra = b.filter((x) => !a.includes(x));
          firstDiff.set(proto, `${where(f + 1)}: only tshark ${missing[0] ?? '-'}, only tcpwatch ${extra[0] ?? '-'}`);
        }
        byProto.set(proto, c);
      }
    }
    t.diagnostic(`-T json key paths agreeing with tshark: ${agree}/${w.length} ${((100 * agree) / w.length).toFixed(2)}%`);
    for (const [proto, [a, n]] of [...byProto].sort((x, y) => (y[1][1] - y[1][0]) - (x[1][1] - x[1][0]))) {
      t.diagnostic(`${proto.padEnd(16)} ${a}/${n}${a < n ? `  first difference ${firstDiff.get(proto)}` : ''}`);
    }
    for (const [proto, floor] of Object.entries(FLOORS)) {
      const got = byProto.get(proto)?.[0] ?? 0;
      assert.ok(got >= floor, `${proto}: ${got} frames agreeing, floor ${floor}`);
    }

    for (const [what, { paths, atLeast, notOver }] of Object.entries(VALUES_AGREEING)) {
      const valuesOf = (frame: FlatFrame): string => frame.values.filter((v) => paths.test(v.slice(0, v.indexOf('\t')))).sort().join('\n');
      let frames = 0;
      const diffs: string[] = [];
      for (let f = 0; f < w.length; f++) {
        const want = valuesOf(theirsFlat[f]);
        if (want === '' || (notOver !== undefined && theirsFlat[f].paths.includes(`_source.layers.${notOver}`))) continue;
        frames++;
        const got = valuesOf(oursFlat[f]);
        if (got !== want && diffs.length < 5) diffs.push(`${where(f + 1)}:\n  tshark   ${want.replace(/\n/g, ' | ')}\n  tcpwatch ${got.replace(/\n/g, ' | ')}`);
      }
      t.diagnostic(`${what}: values agree with tshark's on ${frames - diffs.length}${diffs.length === 5 ? '-' : ''}/${frames} frames`);
      assert.ok(frames >= atLeast, `${what}: ${frames} frames`);
      assert.deepEqual(diffs, [], what);
    }

    // -T fields prints each option node as tshark does: its bytes in hex, occurrences joined by commas.
    const names = [...new Set(theirsFlat.flatMap((fr) => fr.values.map((v) => TCP_OPTION_NODE.exec(v)?.[1]).filter((n): n is string => n !== undefined)))].sort();
    assert.ok(names.includes('tcp.options.mss') && names.includes('tcp.options.nop') && names.length >= 6, `option fields: ${names.join(' ')}`);
    const fieldsRun = await runCli(['-r', file, '-T', 'fields', ...names.flatMap((n) => ['-e', n])]);
    const lines = fieldsRun.stdout.split('\n');
    const fieldDiffs: string[] = [];
    for (let f = 0; f < w.length; f++) {
      const want = names.map((n) => theirsFlat[f].values.filter((v) => v.slice(0, v.indexOf('\t')).endsWith(`.tcp.options_tree.${n}`))
        .map((v) => v.slice(v.indexOf('\t') + 1).replace(/:/g, '')).join(',')).join('\t');
      if (lines[f] !== want && fieldDiffs.length < 5) fieldDiffs.push(`${where(f + 1)}: tshark ${want} tcpwatch ${lines[f]}`);
    }
    assert.deepEqual(fieldDiffs, []);
  });
});
