// SMB2 (MS-SMB2), as tshark 4.0 reads it from an NBSS session message (packet-smb2.c): every
// message of a compound chain, its 64-byte header (§2.2.1) with tshark's field names, the Protocol
// column SMB2 and the Info column: each message's command, Request or Response, ", Error: " and the
// status of a failed response, and what tshark adds from the bodies it reads — the tree a Tree
// Connect names, the file a Create opens (and, by its File Id, the file later commands name), a
// Read's length and offset, a Find's information class and pattern, a GetInfo's class, an Ioctl's
// function, the NTLMSSP message a Session Setup's security blob carries and the user it
// authenticates. A chain's messages are joined with ";"; a frame with several session messages
// shows the last one's, as tshark clears the column for each. The bodies are otherwise left
// undissected (no tree below the header), as are the DCERPC calls a named pipe carries, which
// tshark dissects and names the frame after.
//
// Every offset a body gives is checked against the message's end; what runs past it adds nothing.
// What a conversation remembers (requests awaiting their response, the files its File Ids name)
// is bounded per conversation.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';
import {
  COMMAND_NAMES, FILE_INFO_LEVEL_NAMES, FIND_INFO_LEVEL_NAMES, FS_INFO_LEVEL_NAMES, INFO_CLASS_NAMES, IOCTL_FUNCTION_NAMES,
  NT_STATUS_NAMES, SEC_INFO_LEVEL_NAMES,
} from './names';

// MS-SMB2 §2.2.1 header
const PROTOCOL_ID = 0;
const HEADER_LENGTH = 4;
const CREDIT_CHARGE = 6;
const STATUS = 8;
const CHANNEL_SEQUENCE = 8;
const COMMAND = 12;
const CREDITS = 14;
const FLAGS = 16;
const CHAIN_OFFSET = 20;
const MESSAGE_ID = 24;
const PROCESS_ID = 32;
const ASYNC_ID = 32;
const TREE_ID = 36;
const SESSION_ID = 40;
const SIGNATURE = 48;
const HEADER_LEN = 64;
const SIGNATURE_LEN = 16;

const FLAG_RESPONSE = 0x1;
const FLAG_ASYNC = 0x2;
const FLAG_CHAINED = 0x4;
const FLAG_SIGNED = 0x8;
const FLAG_PRIORITY = 0x70;
const FLAG_DFS = 0x10000000;
const FLAG_REPLAY = 0x20000000;

const enum Command {
  SessionSetup = 0x01, TreeConnect = 0x03, Create = 0x05, Close = 0x06, Read = 0x08, Write = 0x09, Ioctl = 0x0b, Find = 0x0e,
  GetInfo = 0x10, SetInfo = 0x11,
}
/** An error response's body is 9 bytes long by its StructureSize (§2.2.2). */
const ERROR_STRUCTURE_SIZE = 9;
const FSCTL_DFS_GET_REFERRALS = 0x00060194;
const FSCTL_DFS_GET_REFERRALS_EX = 0x000601b0;
const FILE_ID_LEN = 16;
const STATUS_PENDING = 0x00000103;
const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;
const INFO_FILE = 1, INFO_FS = 2, INFO_SECURITY = 3;

/** Messages of a frame that its fields list at most. */
const MAX_MESSAGES = 256;
/** Requests awaiting their response, and File Ids with a name, that a conversation remembers at most. */
const MAX_REMEMBERED = 4096;

const SMB2_MAGIC = 0x424d53fe; // 0xFE 'S' 'M' 'B', read little-endian

/** Whether a session message's bytes [off, end) start with SMB2's protocol id. */
export function carriesSmb2(buf: Buffer, off: number, end: number): boolean {
  return end - off >= 4 && buf.readUInt32LE(off) === SMB2_MAGIC;
}

/** What a request tells its response: the file a Create names, a Find's class and pattern. */
interface SavedRequest { command: number; file: string; findLevel: number; pattern: string }

/** What SMB2 remembers per TCP conversation, as packet-smb2.c per session. */
export class Smb2Conversation {
  readonly requests = new Map<number, SavedRequest>();
  /** File Ids (their 16 bytes as latin1) and the name their Create gave. */
  readonly files = new Map<string, string>();
}

function remember<K, V>(m: Map<K, V>, k: K, v: V): void {
  if (m.size >= MAX_REMEMBERED && !m.has(k)) m.delete(m.keys().next().value as K);
  m.set(k, v);
}

class Smb2Layer {
  frame = -1;
  count = 0;
  readonly bufs: Buffer[] = [];
  /** Message k's header offset in bufs[k], and where the message ends. */
  readonly off = new Int32Array(MAX_MESSAGES);
  readonly end = new Int32Array(MAX_MESSAGES);
  /** The Info column: the last session message's chain. */
  info = '';
}

export const smb2 = registerProtocol({
  name: 'smb2',
  label: 'SMB2',
  makeLayer: () => new Smb2Layer(),
  // Reached only through NBSS (dissectSmb2): no table names it.
  decode: () => Proto.None,
  info: (d, layer) => (layer.frame === d.number ? layer.info : null),
});

const u16 = (buf: Buffer, p: number): number => buf.readUInt16LE(p);
const u32 = (buf: Buffer, p: number): number => buf.readUInt32LE(p);
/** An unsigned 64-bit little-endian number; exact below 2^53. */
const u64 = (buf: Buffer, p: number): number => buf.readUInt32LE(p + 4) * 0x100000000 + buf.readUInt32LE(p);

/** A UTF-16LE string of `len` bytes at `at` when it lies within [lo, hi); null otherwise. */
function utf16(buf: Buffer, at: number, len: number, lo: number, hi: number): string | null {
  if (at < lo || len < 0 || at + len > hi) return null;
  return buf.toString('utf16le', at, at + (len & ~1));
}

const statusName = (s: number): string => NT_STATUS_NAMES.get(s) ?? `Unknown (0x${s.toString(16).padStart(8, '0')})`;
const commandName = (c: number): string => COMMAND_NAMES[c] ?? `unknown-0x${c.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * One session message's SMB2 [off, end) of `buf`: each message of its chain goes into the layer,
 * and the layer's Info becomes this chain's. `layerOff` is where the layer stands in the frame.
 */
export function dissectSmb2(d: Dissection, buf: Buffer, off: number, end: number, layerOff: number, conv: Smb2Conversation): void {
  const l = smb2.layer(d);
  if (l.frame !== d.number) {
    l.frame = d.number;
    l.count = 0;
  }
  d.pushLayer(smb2.id, layerOff);
  let info = '';
  for (let p = off, first = true; p < end; first = false) {
    if (end - p < HEADER_LEN || u32(buf, p + PROTOCOL_ID) !== SMB2_MAGIC) {
      d.markMalformed(Malformed.Application, smb2.id);
      break;
    }
    const chain = u32(buf, p + CHAIN_OFFSET);
    // A chain offset that does not lead past this header ends the chain where the bytes do.
    const next = chain >= HEADER_LEN && chain < end - p ? p + chain : end;
    if (l.count < MAX_MESSAGES) {
      const k = l.count++;
      l.bufs[k] = buf;
      l.off[k] = p;
      l.end[k] = next;
    }
    if (!first) info += ';';
    info += messageInfo(buf, p, next, conv);
    p = next;
  }
  l.info = info;
}

/** The Info text of the message whose header is at p and which ends at end. */
function messageInfo(buf: Buffer, p: number, end: number, conv: Smb2Conversation): string {
  const command = u16(buf, p + COMMAND);
  const response = (u32(buf, p + FLAGS) & FLAG_RESPONSE) !== 0;
  const status = u32(buf, p + STATUS);
  const msgId = u64(buf, p + MESSAGE_ID);
  let s = commandName(command) + (response ? ' Response' : ' Request');
  if (response && status !== 0) s += ', Error: ' + statusName(status);
  const b = p + HEADER_LEN;
  if (!response) return s + requestInfo(buf, p, b, end, command, msgId, conv);
  // A Session Setup that needs another round trip is no error to its body (§3.3.5.5.3).
  if (command === Command.SessionSetup) {
    const more = status === STATUS_MORE_PROCESSING_REQUIRED;
    return status !== 0 && !more ? s : s + (end - b >= 8 ? ntlmsspInfo(buf, p + u16(buf, b + 4), u16(buf, b + 6), b, end) : '');
  }
  const saved = conv.requests.get(msgId);
  // An interim response (STATUS_PENDING) leaves the request waiting for its final one.
  if (saved !== undefined && status !== STATUS_PENDING) conv.requests.delete(msgId);
  if (saved === undefined || saved.command !== command) return s;
  if (command === Command.Find) return s + findInfo(saved.findLevel, saved.pattern);
  if (end - b >= 2 && status !== 0 && u16(buf, b) === ERROR_STRUCTURE_SIZE) return s;
  if (command === Command.Create && status === 0) {
    if (end - b >= 64 + FILE_ID_LEN) remember(conv.files, buf.toString('latin1', b + 64, b + 64 + FILE_ID_LEN), saved.file);
    return s + ' File: ' + saved.file;
  }
  return s;
}

function findInfo(level: number, pattern: string): string {
  return ` ${FIND_INFO_LEVEL_NAMES.get(level) ?? `(Level:0x${level.toString(16).padStart(2, '0')})`} Pattern: ${pattern}`;
}

/** The file a File Id at `at` names, as " File: name", or '' when none is known or it lies past end. */
function fileOf(buf: Buffer, at: number, end: number, conv: Smb2Conversation): string {
  if (at + FILE_ID_LEN > end) return '';
  const name = conv.files.get(buf.toString('latin1', at, at + FILE_ID_LEN));
  return name === undefined ? '' : ' File: ' + name;
}

function infoLevelName(cls: number, level: number): string {
  const table = cls === INFO_FILE ? FILE_INFO_LEVEL_NAMES : cls === INFO_FS ? FS_INFO_LEVEL_NAMES : cls === INFO_SECURITY ? SEC_INFO_LEVEL_NAMES : null;
  return table?.get(level) ?? `Unknown (0x${level.toString(16).padStart(2, '0')})`;
}

/** What a request's body adds to the Info column; requests a response will need are remembered. */
function requestInfo(buf: Buffer, p: number, b: number, end: number, command: number, msgId: number, conv: Smb2Conversation): string {
  const has = (n: number): boolean => end - b >= n;
  switch (command) {
    case Command.SessionSetup:
      return has(16) ? ntlmsspInfo(buf, p + u16(buf, b + 12), u16(buf, b + 14), b, end) : '';
    case Command.TreeConnect: {
      const tree = has(8) ? utf16(buf, p + u16(buf, b + 4), u16(buf, b + 6), b, end) : null;
      return tree === null ? '' : ' Tree: ' + tree;
    }
    case Command.Create: {
      const file = has(48) ? utf16(buf, p + u16(buf, b + 44), u16(buf, b + 46), b, end) ?? '' : '';
      remember(conv.requests, msgId, { command, file, findLevel: 0, pattern: '' });
      return has(48) ? ' File: ' + file : '';
    }
    case Command.Close:
      return fileOf(buf, b + 8, end, conv);
    case Command.Read: case Command.Write:
      return has(32) ? ` Len:${u32(buf, b + 4)} Off:${u64(buf, b + 8)}` + fileOf(buf, b + 16, end, conv) : '';
    case Command.Ioctl: {
      if (!has(32)) return '';
      const fn = u32(buf, b + 4);
      let s = ' ' + (IOCTL_FUNCTION_NAMES.get(fn) ?? `Unknown (0x${fn.toString(16).padStart(8, '0')})`);
      if (fn === FSCTL_DFS_GET_REFERRALS || fn === FSCTL_DFS_GET_REFERRALS_EX) {
        // MS-DFSC §2.2.2: MaxReferralLevel, then the path asked about, NUL-terminated.
        const at = p + u32(buf, b + 24) + 2, stop = Math.min(end, p + u32(buf, b + 24) + u32(buf, b + 28));
        let q = at;
        while (q + 1 < stop && (buf[q] | buf[q + 1]) !== 0) q += 2;
        const name = utf16(buf, at, q - at, b, end);
        if (name !== null) s += ', File: ' + name;
        return s;
      }
      return s + fileOf(buf, b + 8, end, conv);
    }
    case Command.Find: {
      if (!has(32)) return '';
      const level = buf[b + 2];
      const pattern = utf16(buf, p + u16(buf, b + 24), u16(buf, b + 26), b, end) ?? '';
      remember(conv.requests, msgId, { command, file: '', findLevel: level, pattern });
      return fileOf(buf, b + 8, end, conv) + findInfo(level, pattern);
    }
    case Command.GetInfo: {
      if (!has(40)) return '';
      const cls = buf[b + 2];
      return ` ${INFO_CLASS_NAMES.get(cls) ?? `Unknown (0x${cls.toString(16).padStart(2, '0')})`}/${infoLevelName(cls, buf[b + 3])}` + fileOf(buf, b + 24, end, conv);
    }
    case Command.SetInfo: {
      if (!has(32)) return '';
      const cls = buf[b + 2];
      return ` ${INFO_CLASS_NAMES.get(cls) ?? `Unknown (0x${cls.toString(16).padStart(2, '0')})`}/${infoLevelName(cls, buf[b + 3])}` + fileOf(buf, b + 16, end, conv);
    }
    default:
      return '';
  }
}

const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
const NTLMSSP_TYPES: Readonly<Record<number, string>> = { 1: 'NTLMSSP_NEGOTIATE', 2: 'NTLMSSP_CHALLENGE', 3: 'NTLMSSP_AUTH' };
/** MS-NLMP §2.2.1.3: the AUTHENTICATE message's DomainName and UserName fields, and its NegotiateFlags. */
const AUTH_DOMAIN = 28, AUTH_USER = 36, AUTH_FLAGS = 60;
const NEGOTIATE_UNICODE = 0x1;

/**
 * What the NTLMSSP message inside a security blob [at, at + len) adds to the Info column, as tshark's
 * NTLMSSP dissector does under GSS-API and SPNEGO: its type, and for an AUTHENTICATE the domain and
 * user. The message is found by its signature, which SPNEGO's DER wraps without changing it.
 */
function ntlmsspInfo(buf: Buffer, at: number, len: number, lo: number, hi: number): string {
  if (at < lo || at + len > hi) return '';
  const m = buf.indexOf(NTLMSSP_SIGNATURE, at);
  if (m < 0 || m + 12 > at + len) return '';
  const blobEnd = at + len;
  const type = u32(buf, m + 8);
  const name = NTLMSSP_TYPES[type];
  if (name === undefined) return '';
  let s = ', ' + name;
  if (type === 3 && m + AUTH_FLAGS + 4 <= blobEnd) {
    const unicode = (u32(buf, m + AUTH_FLAGS) & NEGOTIATE_UNICODE) !== 0;
    const field = (f: number): string => {
      const n = u16(buf, m + f), o = m + u32(buf, m + f + 4);
      if (o < m || o + n > blobEnd) return '';
      return unicode ? buf.toString('utf16le', o, o + (n & ~1)) : buf.toString('latin1', o, o + n);
    };
    s += `, User: ${field(AUTH_DOMAIN)}\\${field(AUTH_USER)}`;
  }
  return s;
}

// ---- fields: the header of each message (MS-SMB2 §2.2.1), as tshark names them ----

function layerOf(d: Dissection): Smb2Layer | null {
  if (!d.hasLayer(smb2.id)) return null;
  const l = smb2.layer(d);
  return l.frame === d.number ? l : null;
}
const messages = (d: Dissection): number => layerOf(d)?.count ?? 0;
const flagsOf = (l: Smb2Layer, k: number): number => u32(l.bufs[k], l.off[k] + FLAGS);
/** The message of occurrence i among the frame's messages that `keep` keeps, -1 past the last. */
function nth(d: Dissection, i: number, keep: (flags: number) => boolean): number {
  const l = smb2.layer(d);
  for (let k = 0; k < l.count; k++) if (keep(flagsOf(l, k)) && i-- === 0) return k;
  return -1;
}
function countOf(d: Dissection, keep: (flags: number) => boolean): number {
  const l = layerOf(d);
  if (l === null) return 0;
  let n = 0;
  for (let k = 0; k < l.count; k++) if (keep(flagsOf(l, k))) n++;
  return n;
}
const all = (): boolean => true;
const isResponse = (f: number): boolean => (f & FLAG_RESPONSE) !== 0;
const isRequest = (f: number): boolean => (f & FLAG_RESPONSE) === 0;
const isAsync = (f: number): boolean => (f & FLAG_ASYNC) !== 0;
const isSync = (f: number): boolean => (f & FLAG_ASYNC) === 0;

interface HeaderField {
  name: string; label: string; type: FT; pos: number; len: number; bits?: 8 | 16 | 32 | 64; keep?: (flags: number) => boolean;
  hexDigits?: number; valueNames?: Readonly<Record<number, string>>;
}

const STATUS_VALUE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(NT_STATUS_NAMES);
const COMMAND_VALUE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(COMMAND_NAMES.map((n, i) => [i, n]));

defineField({
  name: 'smb2', label: 'SMB2 (Server Message Block Protocol version 2)', type: FT.None, proto: 'smb2', count: messages,
  longName: 'SMB2 (Server Message Block Protocol version 2)', shortName: 'SMB2',
  range: (d, i, o) => { const l = smb2.layer(d); return o.set(l.bufs[i], l.off[i], l.end[i] - l.off[i]); },
});

function headerField(f: HeaderField): void {
  const keep = f.keep ?? all;
  const read = (d: Dissection, i: number): [Buffer, number] => {
    const l = smb2.layer(d), k = nth(d, i, keep);
    return [l.bufs[k], l.off[k] + f.pos];
  };
  defineField({
    name: f.name, label: f.label, type: f.type, proto: 'smb2', valueBits: f.bits, hexDigits: f.hexDigits, valueNames: f.valueNames,
    count: (d) => countOf(d, keep),
    ...(f.type === FT.Bytes
      ? { bytes: (d: Dissection, i: number, o: import('../../fields/registry').Span) => { const [b, p] = read(d, i); return o.set(b, p, f.len); } }
      : {
        num: (d: Dissection, i: number) => {
          const [b, p] = read(d, i);
          return f.len === 1 ? b[p] : f.len === 2 ? u16(b, p) : f.len === 4 ? (f.pos === PROTOCOL_ID ? b.readUInt32BE(p) : u32(b, p)) : u64(b, p);
        },
      }),
    range: (d, i, o) => { const [b, p] = read(d, i); return o.set(b, p, f.len); },
  });
}

headerField({ name: 'smb2.protocol_id', label: 'ProtocolId', type: FT.Hex, pos: PROTOCOL_ID, len: 4, bits: 32 });
headerField({ name: 'smb2.header_len', label: 'Header Length', type: FT.UInt, pos: HEADER_LENGTH, len: 2, bits: 16 });
headerField({ name: 'smb2.credit.charge', label: 'Credit Charge', type: FT.UInt, pos: CREDIT_CHARGE, len: 2, bits: 16 });
headerField({ name: 'smb2.channel_sequence', label: 'Channel Sequence', type: FT.UInt, pos: CHANNEL_SEQUENCE, len: 2, bits: 16, keep: isRequest });
headerField({ name: 'smb2.nt_status', label: 'NT Status', type: FT.Hex, pos: STATUS, len: 4, bits: 32, keep: isResponse, valueNames: STATUS_VALUE_NAMES });
headerField({ name: 'smb2.cmd', label: 'Command', type: FT.UInt, pos: COMMAND, len: 2, bits: 16, valueNames: COMMAND_VALUE_NAMES });
headerField({ name: 'smb2.credits.requested', label: 'Credits requested', type: FT.UInt, pos: CREDITS, len: 2, bits: 16, keep: isRequest });
headerField({ name: 'smb2.credits.granted', label: 'Credits granted', type: FT.UInt, pos: CREDITS, len: 2, bits: 16, keep: isResponse });
headerField({ name: 'smb2.flags', label: 'Flags', type: FT.Hex, pos: FLAGS, len: 4, bits: 32 });
for (const [name, label, mask, set, clear] of [
  ['smb2.flags.response', 'Response', FLAG_RESPONSE, 'This is a RESPONSE', 'This is a REQUEST'],
  ['smb2.flags.async', 'Async command', FLAG_ASYNC, 'This is an ASYNC command', 'This is a SYNC command'],
  ['smb2.flags.chained', 'Chained', FLAG_CHAINED, 'This pdu is a CHAINED command', 'This pdu is NOT a chained command'],
  ['smb2.flags.signature', 'Signing', FLAG_SIGNED, 'This pdu is SIGNED', 'This pdu is NOT signed'],
  ['smb2.flags.priority_mask', 'Priority', FLAG_PRIORITY, 'This pdu contains a PRIORITY', 'This pdu does NOT contain a PRIORITY'],
  ['smb2.flags.dfs', 'DFS operation', FLAG_DFS, 'This is a DFS OPERATION', 'This is a normal operation'],
  ['smb2.flags.replay', 'Replay operation', FLAG_REPLAY, 'This is a REPLAY OPERATION', 'This is NOT a replay operation'],
] as const) {
  const flags = (d: Dissection, i: number): number => { const l = smb2.layer(d); return u32(l.bufs[i], l.off[i] + FLAGS); };
  defineField({
    name, label, type: FT.Bool, proto: 'smb2', count: messages, parent: 'smb2.flags', mask, bitWidth: 32, valueNames: { 1: set, 0: clear },
    unit: flags, num: (d, i) => ((flags(d, i) & mask) !== 0 ? 1 : 0),
    range: (d, i, o) => { const l = smb2.layer(d); return o.set(l.bufs[i], l.off[i] + FLAGS, 4); },
  });
}
headerField({ name: 'smb2.chain_offset', label: 'Chain Offset', type: FT.Hex, pos: CHAIN_OFFSET, len: 4, bits: 32 });
headerField({ name: 'smb2.msg_id', label: 'Message ID', type: FT.UInt, pos: MESSAGE_ID, len: 8, bits: 64 });
headerField({ name: 'smb2.pid', label: 'Process Id', type: FT.Hex, pos: PROCESS_ID, len: 4, bits: 32, keep: isSync });
headerField({ name: 'smb2.tid', label: 'Tree Id', type: FT.Hex, pos: TREE_ID, len: 4, bits: 32, keep: isSync });
headerField({ name: 'smb2.aid', label: 'Async Id', type: FT.Hex, pos: ASYNC_ID, len: 8, bits: 64, keep: isAsync });
headerField({ name: 'smb2.sesid', label: 'Session Id', type: FT.Hex, pos: SESSION_ID, len: 8, bits: 64 });
headerField({ name: 'smb2.signature', label: 'Signature', type: FT.Bytes, pos: SIGNATURE, len: SIGNATURE_LEN });
