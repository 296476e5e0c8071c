// TFTP (RFC 1350, options RFC 2347): a request goes to udp.port 69; the server answers from a port
// of its own choosing (RFC 1350 §4, the transfer identifiers), so the rest of the transfer is found
// by the `tftp` analysis stage, which remembers the requesting client's address and port, as
// tshark 4.0's conversation does (packet-tftp.c). Info follows packet-tftp.c's wording.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';
import { registerStage } from '../../hooks';
import { pushData } from '../data';
import type { Analyzer } from '../../pipeline';

/** RFC 1350 §4: the server's well-known port. */
export const TFTP_PORT = 69;
// RFC 1350 §5 opcodes, RFC 2347 OACK
const RRQ = 1;
const WRQ = 2;
const DATA = 3;
const ACK = 4;
const ERROR = 5;
const OACK = 6;
const OPCODE_LEN = 2;
/** RFC 1350 §6: a data packet shorter than 512 bytes of data ends the transfer. */
const DEFAULT_BLOCK_SIZE = 512;
/** Transfers remembered at once; the oldest is forgotten beyond this. */
const MAX_TRANSFERS = 4096;

const ERROR_NAMES: Readonly<Record<number, string>> = {
  0: 'Not defined', 1: 'File not found', 2: 'Access violation', 3: 'Disk full or allocation exceeded',
  4: 'Illegal TFTP Operation', 5: 'Unknown transfer ID', 6: 'File already exists', 7: 'No such user',
  8: 'Option negotiation failed',
};

class TftpLayer {
  off = 0;
  end = 0;
  opcode = 0;
}

export const tftp = registerProtocol({
  name: 'tftp',
  label: 'TFTP',
  udpPorts: [TFTP_PORT],
  makeLayer: () => new TftpLayer(),
  decode: (d: Dissection, layer: TftpLayer, off: number, end: number, id: number): number => decodeTftp(d, layer, off, end, id),
  info: (d: Dissection, layer: TftpLayer) => tftpInfo(d, layer),
});

function decodeTftp(d: Dissection, layer: TftpLayer, off: number, end: number, id: number): number {
  layer.off = off;
  layer.end = end;
  d.pushLayer(id, off);
  if (end - off < OPCODE_LEN) {
    layer.opcode = -1;
    d.markMalformed(Malformed.Application, id);
    return Proto.None;
  }
  layer.opcode = d.buf.readUInt16BE(off);
  const op = layer.opcode;
  // RFC 1350 §5: a request's file name and mode, an error's message, end in NUL
  const needs = op === RRQ || op === WRQ ? 2 : op === ERROR ? 1 : 0;
  if (needs > 0 && !terminated(d, off + OPCODE_LEN + (op === ERROR ? 2 : 0), end, needs)) d.markMalformed(Malformed.Application, id);
  // tshark hands a data block's bytes to its `data` dissector
  if (layer.opcode === DATA) pushData(d, off + OPCODE_LEN + 2, end);
  return Proto.None;
}

/** Whether `n` NUL-terminated strings start at p before `end`. */
function terminated(d: Dissection, p: number, end: number, n: number): boolean {
  for (let k = 0; k < n; k++) {
    if (p >= end) return false;
    const z = d.buf.indexOf(0, p);
    if (z < 0 || z >= end) return false;
    p = z + 1;
  }
  return true;
}

/**
 * The NUL-terminated strings after `from` (file name, mode, option names and values), at most `max`;
 * `whole` says whether the last one found its NUL (packet-tftp.c stops with an exception otherwise).
 */
function strings(d: Dissection, layer: TftpLayer, from: number, max: number, out: string[]): boolean {
  out.length = 0;
  let p = from;
  while (p < layer.end && out.length < max) {
    const z = d.buf.indexOf(0, p);
    if (z < 0 || z >= layer.end) return false;
    out.push(d.buf.toString('latin1', p, z));
    p = z + 1;
  }
  return true;
}

/** Requests and option acknowledgements carry at most this many strings worth listing. */
const MAX_STRINGS = 66;

function optionsText(opts: string[], from: number): string {
  let s = '';
  for (let k = from; k + 1 < opts.length; k += 2) s += `, ${opts[k]}=${opts[k + 1]}`;
  return s;
}

function tftpInfo(d: Dissection, layer: TftpLayer): string | null {
  const body = layer.off + OPCODE_LEN;
  const u16 = (p: number): number => (p + 2 <= layer.end ? d.buf.readUInt16BE(p) : 0);
  const s: string[] = [];
  switch (layer.opcode) {
    case -1: return null; // not even an opcode: the UDP summary stands
    case RRQ:
    case WRQ: {
      strings(d, layer, body, MAX_STRINGS, s);
      let info = `${layer.opcode === RRQ ? 'Read' : 'Write'} Request`;
      if (s.length > 0) info += `, File: ${s[0]}`;
      if (s.length > 1) info += `, Transfer type: ${s[1]}`;
      return info + optionsText(s, 2);
    }
    case DATA: {
      const data = layer.end - body - 2;
      return `Data Packet, Block: ${u16(body)}${data < DEFAULT_BLOCK_SIZE ? ' (last)' : ''}`;
    }
    case ACK: return `Acknowledgement, Block: ${u16(body)}`;
    case ERROR: {
      const code = u16(body);
      let info = `Error Code, Code: ${ERROR_NAMES[code] ?? `Unknown (${code})`}`;
      if (strings(d, layer, body + 2, 1, s) && s.length > 0) info += `, Message: ${s[0]}`;
      return info;
    }
    case OACK:
      strings(d, layer, body, MAX_STRINGS, s);
      return `Option Acknowledgement${optionsText(s, 0)}`;
    default: return `Unknown (0x${layer.opcode.toString(16).padStart(4, '0')})`;
  }
}

/**
 * The transfers that requests to port 69 began: the client's address and port, and the server's
 * address, as one key. A datagram between the client's port and any port of that server is TFTP.
 */
class TftpTransfers implements Analyzer {
  private readonly transfers = new Set<string>();

  analyze(d: Dissection): void {
    if (d.udpOff < 0 || d.inIcmpError || d.netOff < 0) return;
    if (d.hasLayer(tftp.id)) {
      const layer = tftp.layer(d);
      if ((layer.opcode === RRQ || layer.opcode === WRQ) && d.dstPort === TFTP_PORT) {
        if (this.transfers.size >= MAX_TRANSFERS) this.transfers.delete(this.transfers.values().next().value as string);
        this.transfers.add(endpointsKey(d, true));
      }
      return;
    }
    // Only payload no other protocol claimed: the innermost layer is the UDP header.
    if (d.stackLen === 0 || d.stack[d.stackLen - 1] !== Proto.Udp || d.payloadCapLen === 0) return;
    if (this.transfers.size === 0) return;
    if (!this.transfers.has(endpointsKey(d, false)) && !this.transfers.has(endpointsKey(d, true))) return;
    decodeTftp(d, tftp.layer(d), d.payloadOff, d.payloadOff + d.payloadCapLen, tftp.id);
  }
}

/** Client address and port (the source when `fromClient`), then the server's address. */
function endpointsKey(d: Dissection, fromClient: boolean): string {
  const v4 = d.netVersion === 4;
  const src = d.netOff + (v4 ? 12 : 8), dst = d.netOff + (v4 ? 16 : 24), n = v4 ? 4 : 16;
  const client = fromClient ? src : dst, server = fromClient ? dst : src;
  const port = fromClient ? d.srcPort : d.dstPort;
  return d.buf.toString('latin1', client, client + n) + port + '>' + d.buf.toString('latin1', server, server + n);
}

registerStage({ name: 'tftp', after: [], make: () => new TftpTransfers() });

const present = (d: Dissection): number => (d.hasLayer(tftp.id) ? 1 : 0);
const layerOf = (d: Dissection): TftpLayer => tftp.layer(d);
const hasOpcode = (d: Dissection): number => (d.hasLayer(tftp.id) && layerOf(d).opcode >= 0 ? 1 : 0);
defineField({
  name: 'tftp', label: 'Trivial File Transfer Protocol', type: FT.None, proto: 'tftp', count: present,
  range: (d, _i, o) => o.set(d.buf, layerOf(d).off, layerOf(d).end - layerOf(d).off),
});
defineField({
  name: 'tftp.opcode', label: 'Opcode', type: FT.UInt, valueBits: 16, proto: 'tftp', count: hasOpcode,
  num: (d) => layerOf(d).opcode, range: (d, _i, o) => o.set(d.buf, layerOf(d).off, 2),
});
/** The request's n-th NUL-terminated string: where it starts and ends. */
function requestString(d: Dissection, n: number, out: [number, number]): boolean {
  const layer = layerOf(d);
  let p = layer.off + OPCODE_LEN;
  for (let k = 0; k <= n; k++) {
    if (p >= layer.end) return false;
    // FT_STRINGZ: a string without its NUL is no field (tshark stops with an exception)
    const z = d.buf.indexOf(0, p);
    if (z < 0 || z >= layer.end) return false;
    if (k === n) {
      out[0] = p;
      out[1] = z;
      return true;
    }
    p = z + 1;
  }
  return false;
}
const span: [number, number] = [0, 0];
for (const [name, label, opcode, n] of [
  ['tftp.source_file', 'Source File', RRQ, 0], ['tftp.destination_file', 'Destination File', WRQ, 0],
  ['tftp.type', 'Type', -1, 1],
] as const) {
  const applies = (d: Dissection): boolean => {
    if (!d.hasLayer(tftp.id)) return false;
    const op = layerOf(d).opcode;
    return (opcode === -1 ? op === RRQ || op === WRQ : op === opcode) && requestString(d, n, span);
  };
  defineField({
    name, label, type: FT.String, ftype: 'FT_STRINGZ', proto: 'tftp', count: (d) => (applies(d) ? 1 : 0),
    text: (d) => (requestString(d, n, span) ? d.buf.toString('latin1', span[0], span[1]) : ''),
    range: (d, _i, o) => requestString(d, n, span) && o.set(d.buf, span[0], span[1] - span[0]),
  });
}
defineField({
  name: 'tftp.block', label: 'Block', type: FT.UInt, valueBits: 16, proto: 'tftp',
  count: (d) => (d.hasLayer(tftp.id) && (layerOf(d).opcode === DATA || layerOf(d).opcode === ACK) && layerOf(d).end - layerOf(d).off >= 4 ? 1 : 0),
  num: (d) => d.buf.readUInt16BE(layerOf(d).off + OPCODE_LEN), range: (d, _i, o) => o.set(d.buf, layerOf(d).off + OPCODE_LEN, 2),
});
defineField({
  name: 'tftp.error.code', label: 'Error code', type: FT.UInt, valueBits: 16, proto: 'tftp', valueNames: ERROR_NAMES,
  count: (d) => (d.hasLayer(tftp.id) && layerOf(d).opcode === ERROR && layerOf(d).end - layerOf(d).off >= 4 ? 1 : 0),
  num: (d) => d.buf.readUInt16BE(layerOf(d).off + OPCODE_LEN), range: (d, _i, o) => o.set(d.buf, layerOf(d).off + OPCODE_LEN, 2),
});

/** A file one transfer carries so far, for --export-objects tftp (packet-tftp.c's export-object tap). */
class TftpFile {
  name: Buffer = Buffer.alloc(0);
  blockSize = DEFAULT_BLOCK_SIZE;
  nextBlock = 1;
  length = 0;
  readonly blocks: Buffer[] = [];
}

/** Bytes all transfers being collected may hold at once; a transfer that would pass it is given up. */
const MAX_HELD_BYTES = 256 * 1024 * 1024;

/**
 * The files TFTP transfers carry, as Wireshark's export objects collect them: from a request's file
 * name, data blocks in order from block 1 (a block out of turn is ignored, block 1 starts again),
 * up to the block shorter than the block size (512, or an option acknowledgement's blksize).
 */
export class TftpFiles {
  private readonly files = new Map<string, TftpFile>();
  private held = 0;
  private readonly strs: string[] = [];

  constructor(private readonly save: (name: Buffer, frame: number, data: Buffer) => void) {}

  analyze(d: Dissection): void {
    if (!d.hasLayer(tftp.id) || d.udpOff < 0 || d.inIcmpError || d.netOff < 0) return;
    const layer = tftp.layer(d);
    const body = layer.off + OPCODE_LEN;
    if ((layer.opcode === RRQ || layer.opcode === WRQ) && d.dstPort === TFTP_PORT) {
      const z = d.buf.indexOf(0, body);
      if (z < 0 || z >= layer.end) return;
      const key = endpointsKey(d, true);
      this.forget(key);
      if (this.files.size >= MAX_TRANSFERS) this.forget(this.files.keys().next().value as string);
      const f = new TftpFile();
      f.name = Buffer.from(d.buf.subarray(body, z));
      this.files.set(key, f);
      return;
    }
    const key = this.files.has(endpointsKey(d, false)) ? endpointsKey(d, false) : endpointsKey(d, true);
    const f = this.files.get(key);
    if (f === undefined) return;
    if (layer.opcode === OACK) {
      strings(d, layer, body, MAX_STRINGS, this.strs);
      for (let k = 0; k + 1 < this.strs.length; k += 2) {
        // RFC 2348: blksize between 8 and 65464
        if (this.strs[k].toLowerCase() === 'blksize' && /^\d{1,5}$/.test(this.strs[k + 1])) f.blockSize = Number(this.strs[k + 1]);
      }
      return;
    }
    if (layer.opcode !== DATA || body + 2 > layer.end) return;
    const block = d.buf.readUInt16BE(body);
    const data = d.buf.subarray(body + 2, layer.end);
    if (block === 1) this.restart(f);
    if (block !== f.nextBlock) return;
    if (data.length > 0) {
      if (this.held + data.length > MAX_HELD_BYTES) {
        this.forget(key);
        return;
      }
      f.blocks.push(Buffer.from(data));
      f.length += data.length;
      this.held += data.length;
      f.nextBlock = (f.nextBlock + 1) & 0xffff;
    }
    if (data.length < f.blockSize) {
      this.save(f.name, d.number, Buffer.concat(f.blocks, f.length));
      this.restart(f);
    }
  }

  private restart(f: TftpFile): void {
    this.held -= f.length;
    f.blocks.length = 0;
    f.length = 0;
    f.nextBlock = 1;
  }

  private forget(key: string): void {
    const f = this.files.get(key);
    if (f === undefined) return;
    this.restart(f);
    this.files.delete(key);
  }
}
