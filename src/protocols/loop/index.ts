// The Ethernet Configuration Testing Protocol (EtherType 0x9000; Ethernet v2.0 specification,
// "loopback"): a skip count, then a list of functions — Forward Data with the address to send the
// frame to next, or Reply with a receipt number and the data — that each station along the way
// walks by the skip count. All numbers are little-endian. tshark names it LOOP, and its Info is the
// function the skip count points at.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT, Span } from '../../fields/registry';
import { leaveToData } from '../data';

export const ETHERTYPE_LOOP = 0x9000;
const SKIP_COUNT = 0;
const FUNCTIONS = 2;
const FUNC_REPLY = 1;
const FUNC_FORWARD_DATA = 2;
const FORWARD_LEN = 2 + 6;
const REPLY_LEN = 2 + 2;
const FUNCTION_NAMES: Readonly<Record<number, string>> = { 1: 'Reply', 2: 'Forward Data' };

class LoopLayer {
  off = 0;
  end = 0;
}

export const loop = registerProtocol({
  name: 'loop',
  label: 'LOOP',
  etherTypes: [ETHERTYPE_LOOP],
  makeLayer: () => new LoopLayer(),
  decode(d: Dissection, layer: LoopLayer, off: number, end: number, id: number): number {
    d.pushLayer(id, off);
    layer.off = off;
    layer.end = end;
    if (end - off < FUNCTIONS + 2) d.markMalformed(Malformed.Application, id);
    return Proto.None;
  },
  info: (d, layer) => {
    const p = relevantAt(d, layer);
    return p < 0 ? '' : (FUNCTION_NAMES[d.buf.readUInt16LE(p)] ?? 'Unknown function');
  },
});

/**
 * Calls `each(p, fn)` for every function in the list, in order, until a Reply (which the data
 * follows), an unknown function, or the end. Each step moves forward, so the walk ends.
 */
function walk(d: Dissection, layer: LoopLayer, each: (p: number, fn: number) => void): void {
  for (let p = layer.off + FUNCTIONS; layer.end - p >= 2;) {
    const fn = d.buf.readUInt16LE(p);
    each(p, fn);
    if (fn === FUNC_FORWARD_DATA && layer.end - p >= FORWARD_LEN) p += FORWARD_LEN;
    else break;
  }
}

/** Where the function the skip count names lies, -1 when the list does not reach it. */
function relevantAt(d: Dissection, layer: LoopLayer): number {
  if (layer.end - layer.off < FUNCTIONS) return -1;
  const at = layer.off + FUNCTIONS + d.buf.readUInt16LE(layer.off + SKIP_COUNT);
  let found = -1;
  walk(d, layer, (p) => { if (p === at) found = p; });
  return found;
}

/**
 * Where the functions end: after the Reply, after an unknown function's number, or after the last
 * Forward Data; -1 when the list runs past the bytes (tshark then stops at the short field).
 */
function functionsEnd(d: Dissection, layer: LoopLayer): number {
  let end = -1;
  walk(d, layer, (p, fn) => {
    const len = fn === FUNC_REPLY ? REPLY_LEN : fn === FUNC_FORWARD_DATA ? FORWARD_LEN : 2;
    end = layer.end - p >= len ? p + len : -1;
  });
  return end;
}
// What follows the functions goes to tshark's data dissector (src/protocols/data).
leaveToData(loop.id, (d, o) => {
  const end = functionsEnd(d, L(d));
  return end >= 0 && end < L(d).end && o.set(d.buf, end, L(d).end - end);
});

const has = (d: Dissection): boolean => d.hasLayer(loop.id);
const L = (d: Dissection): LoopLayer => loop.layer(d);
/** Offset of the i-th function for which `want` holds. */
function functionAt(d: Dissection, want: (fn: number, p: number) => boolean, i: number): number {
  let found = -1;
  walk(d, L(d), (p, fn) => { if (found < 0 && want(fn, p) && i-- === 0) found = p; });
  return found;
}
function functionCount(d: Dissection, want: (fn: number, p: number) => boolean): number {
  if (!has(d)) return 0;
  let n = 0;
  walk(d, L(d), (p, fn) => { if (want(fn, p)) n++; });
  return n;
}
const named = (d: Dissection, p: number): string => `${FUNCTION_NAMES[d.buf.readUInt16LE(p)] ?? 'Unknown'} (${d.buf.readUInt16LE(p)})`;

defineField({
  name: 'loop', label: 'Configuration Test Protocol (loopback)', type: FT.None, proto: 'loop', count: (d) => (has(d) ? 1 : 0),
  range: (d, _i, o) => o.set(d.buf, L(d).off, L(d).end - L(d).off),
});
defineField({
  name: 'loop.skipcount', label: 'skipCount', type: FT.UInt, valueBits: 16, proto: 'loop', count: (d) => (has(d) && L(d).end - L(d).off >= 2 ? 1 : 0),
  num: (d) => d.buf.readUInt16LE(L(d).off), range: (d, _i, o) => o.set(d.buf, L(d).off, 2),
});
defineField({
  name: 'loop.relevant_function', label: 'Relevant function', type: FT.UInt, valueBits: 16, proto: 'loop',
  count: (d) => (has(d) && relevantAt(d, L(d)) >= 0 ? 1 : 0), num: (d) => d.buf.readUInt16LE(relevantAt(d, L(d))),
  display: (d) => named(d, relevantAt(d, L(d))), range: (d, _i, o) => o.set(d.buf, relevantAt(d, L(d)), 2),
});
const any = (): boolean => true;
defineField({
  name: 'loop.function', label: 'Function', type: FT.UInt, valueBits: 16, proto: 'loop', count: (d) => functionCount(d, any),
  num: (d, i) => d.buf.readUInt16LE(functionAt(d, any, i)), display: (d, i) => named(d, functionAt(d, any, i)),
  range: (d, i, o) => o.set(d.buf, functionAt(d, any, i), 2),
});
const forward = (d: Dissection) => (fn: number, p: number): boolean => fn === FUNC_FORWARD_DATA && L(d).end - p >= FORWARD_LEN;
const addressSpan = (d: Dissection, i: number, o: Span): true => o.set(d.buf, functionAt(d, forward(d), i) + 2, 6);
defineField({
  name: 'loop.forwarding_address', label: 'Forwarding address', type: FT.Ether, proto: 'loop', count: (d) => functionCount(d, forward(d)),
  bytes: addressSpan, range: addressSpan,
});
const reply = (d: Dissection) => (fn: number, p: number): boolean => fn === FUNC_REPLY && L(d).end - p >= REPLY_LEN;
defineField({
  name: 'loop.receipt_number', label: 'Receipt number', type: FT.UInt, valueBits: 16, proto: 'loop', count: (d) => functionCount(d, reply(d)),
  num: (d, i) => d.buf.readUInt16LE(functionAt(d, reply(d), i) + 2), range: (d, i, o) => o.set(d.buf, functionAt(d, reply(d), i) + 2, 2),
});
