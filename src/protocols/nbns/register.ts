// NetBIOS Name Service (RFC 1002 §4.2) on udp.port 137: the header, the questions and the resource
// records of the answer, authority and additional sections, walked as tshark 4.0 walks them
// (packet-nbns.c): NB records as flags and address pairs, NBSTAT records (node status) as the name
// table and the statistics after it, any other type as data. The Info column is the opcode,
// " response" and the reply code for a response, then each question of a query or each answer of a
// response (`Name query response NB 10.0.0.1`). The fields are in fields.ts.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { walkName } from '../dns/wire';
import { ipv4At } from '../../fields/format';
import { netbiosNameAt, NETBIOS_NAME_LEN } from './names';

/** RFC 1002 §4: the name service's port. */
export const NBNS_PORT = 137;
// RFC 1002 §4.2.1.1 header
export const ID = 0;
export const FLAGS = 2;
export const COUNTS = 4;
export const HEADER_LEN = 12;
// RFC 1002 lays out the flags word as DNS's header does, bit for bit up to RA; B (broadcast) sits
// where DNS has CD.
import { F_RESPONSE, F_OPCODE, OPCODE_SHIFT, F_AUTHORITATIVE, F_TRUNCATED, F_RECDESIRED, F_RECAVAIL } from '../dns/wire';
export { F_RESPONSE, F_OPCODE, OPCODE_SHIFT, F_AUTHORITATIVE, F_TRUNCATED, F_RECDESIRED, F_RECAVAIL };
export const F_BROADCAST = 0x0010;
export const F_RCODE = 0x000f;
/** RFC 1002 §4.2.16: the opcode of a WAIT FOR ACKNOWLEDGEMENT response, whose NB data is a flags word. */
export const OPCODE_WACK = 7;

// RFC 1002 §4.2.1.3 resource record after its name: TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA
export const RR_CLASS = 2;
export const RR_TTL = 4;
export const RR_RDLENGTH = 8;
export const RR_FIXED_LEN = 10;
export const QUESTION_FIXED_LEN = 4;
export const T_NB = 0x20;
export const T_NBSTAT = 0x21;
/** RFC 1002 §4.2.1.3: an NB entry, NB_FLAGS(2) then NB_ADDRESS(4). */
export const NB_FLAGS_LEN = 2;
export const NB_ENTRY_LEN = 6;
/** RFC 1002 §4.2.18: a node status entry, the raw 16-byte name then NAME_FLAGS(2). */
export const NODE_NAME_ENTRY_LEN = NETBIOS_NAME_LEN + 2;
/**
 * RFC 1002 §4.2.18 STATISTICS after the name table, in order, with their sizes: unit id, jumpers,
 * test result, version, period, CRCs, alignment errors, collisions, send aborts, good sends, good
 * receives, retransmits, no-resource conditions, command blocks, pending sessions, max pending,
 * max sessions, session data packet size.
 */
export const STATISTICS_SIZES: readonly number[] = [6, 1, 1, 2, 2, 2, 2, 2, 2, 4, 4, 2, 2, 2, 2, 2, 2, 2];

/** Records (questions and resource records) listed per frame: a 1500-byte datagram holds fewer than 250. */
export const MAX_RECORDS = 256;
export const enum Section { Question, Answer, Authority, Additional }

const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'Name query', 5: 'Registration', 6: 'Release', 7: 'Wait for acknowledgment', 8: 'Refresh',
  9: 'Refresh (alternate opcode)', 15: 'Multi-homed registration',
};
export const opcodeName = (op: number): string => OPCODE_NAMES[op] ?? `Unknown operation (${op})`;
const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'No error', 1: 'Request was invalidly formatted', 2: 'Server failure', 3: 'Requested name does not exist',
  4: 'Request is not implemented', 5: 'Request was refused', 6: 'Name is owned by another node', 7: 'Name is in conflict',
};
export const rcodeName = (rcode: number): string => RCODE_NAMES[rcode] ?? 'Unknown error';
export const TYPE_NAMES: Readonly<Record<number, string>> = { [T_NB]: 'NB', [T_NBSTAT]: 'NBSTAT' };
export const typeName = (type: number): string => TYPE_NAMES[type] ?? 'Unknown';

export class NbnsLayer {
  off = 0;
  end = 0;
  /** Whether the 12-byte header is there. */
  whole = false;
  records = 0;
  /** Per record: where its name starts, where its type follows the name, and where the record ends as tshark steps over it. */
  readonly nameOff = new Int32Array(MAX_RECORDS);
  readonly typeOff = new Int32Array(MAX_RECORDS);
  readonly recEnd = new Int32Array(MAX_RECORDS);
  readonly section = new Uint8Array(MAX_RECORDS);
  /** NBSTAT records: the names whose 16 bytes are there, and the name flags words read after them. */
  readonly statNames = new Uint16Array(MAX_RECORDS);
  readonly statNameFlags = new Uint16Array(MAX_RECORDS);
  /** Where the record's data stops short of an entry its length began (tshark's "incomplete entry"), or -1, and how many bytes are left there. */
  readonly incompleteOff = new Int32Array(MAX_RECORDS);
  readonly incompleteLen = new Uint16Array(MAX_RECORDS);
}

export const nbns = registerProtocol({
  name: 'nbns',
  label: 'NBNS',
  udpPorts: [NBNS_PORT],
  makeLayer: () => new NbnsLayer(),
  decode(d: Dissection, layer: NbnsLayer, off: number, end: number, id: number): number {
    layer.off = off;
    layer.end = end;
    layer.records = 0;
    layer.whole = end - off >= HEADER_LEN;
    d.pushLayer(id, off);
    if (!layer.whole) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    const buf = d.buf;
    const flags = buf.readUInt16BE(off + FLAGS);
    const opcode = (flags & F_OPCODE) >> OPCODE_SHIFT;
    // The Info column of a response reads each answer's first NB address (packet-nbns.c, dissect_nbns_answer).
    const readsAddress = (flags & F_RESPONSE) !== 0 && opcode !== OPCODE_WACK;
    let p = off + HEADER_LEN;
    for (let section = Section.Question; section <= Section.Additional; section++) {
      const claimed = buf.readUInt16BE(off + COUNTS + 2 * section);
      for (let k = 0; k < claimed; k++) {
        // A record takes at least 5 bytes: a header claiming more than the datagram holds runs out below.
        if (layer.records === MAX_RECORDS) return Proto.None;
        layer.incompleteOff[layer.records] = -1;
        const after = p < end ? walkName(buf, off, end, p) : -1;
        const fixed = section === Section.Question ? QUESTION_FIXED_LEN : RR_FIXED_LEN;
        const recEnd = after < 0 || after + fixed > end ? -1 : section === Section.Question ? after + fixed : recordEnd(d, layer, after, end, opcode, section === Section.Answer && readsAddress);
        if (recEnd < 0) {
          d.markMalformed(Malformed.Application, id);
          return Proto.None;
        }
        const r = layer.records++;
        layer.nameOff[r] = p;
        layer.typeOff[r] = after;
        layer.recEnd[r] = recEnd;
        layer.section[r] = section;
        p = recEnd;
      }
    }
    return Proto.None;
  },
  info(d, layer) {
    if (!layer.whole) return '';
    const buf = d.buf;
    const flags = buf.readUInt16BE(layer.off + FLAGS);
    const response = (flags & F_RESPONSE) !== 0;
    const opcode = (flags & F_OPCODE) >> OPCODE_SHIFT;
    let s = opcodeName(opcode);
    if (response) {
      s += ' response';
      if ((flags & F_RCODE) !== 0) s += `, ${rcodeName(flags & F_RCODE)}`;
    }
    // A query lists its questions, a response its answers (packet-nbns.c passes the column to one or the other).
    for (let r = 0; r < layer.records; r++) {
      const section = layer.section[r];
      if (section !== (response ? Section.Answer : Section.Question)) continue;
      const type = buf.readUInt16BE(layer.typeOff[r]);
      if (section === Section.Question) {
        s += ` ${typeName(type)} ${netbiosNameAt(buf, layer.off, layer.end, layer.nameOff[r]).text}`;
      } else if (type === T_NB) {
        // The first entry's address, which Wireshark reads whatever the data length says.
        const addr = layer.typeOff[r] + RR_FIXED_LEN + NB_FLAGS_LEN;
        if (opcode !== OPCODE_WACK && addr + 4 <= layer.end) s += ` NB ${ipv4At(buf, addr)}`;
      } else {
        s += ` ${typeName(type)}`;
      }
    }
    return s;
  },
});

/**
 * Where the resource record whose type is at `at` ends as packet-nbns.c steps over it (NB data by
 * whole entries, NBSTAT data up to the last statistic its length allows, other data by its length),
 * or -1 when a part it reads is not in the datagram (tshark's exception: the frame is malformed).
 * NBSTAT's counts are kept in the layer.
 */
function recordEnd(d: Dissection, layer: NbnsLayer, at: number, end: number, opcode: number, readsAddress: boolean): number {
  const buf = d.buf;
  const type = buf.readUInt16BE(at);
  let left = buf.readUInt16BE(at + RR_RDLENGTH);
  let p = at + RR_FIXED_LEN;
  const r = layer.records;
  layer.incompleteOff[r] = -1;
  const incomplete = (): number => {
    layer.incompleteOff[r] = p;
    layer.incompleteLen[r] = left;
    return p;
  };
  switch (type) {
    case T_NB:
      // The Info column reads the first address even where the data holds none.
      if (readsAddress && p + NB_FLAGS_LEN + 4 > end) return -1;
      while (left > 0) {
        if (left < NB_FLAGS_LEN) return incomplete();
        if (p + NB_FLAGS_LEN > end) return -1;
        p += NB_FLAGS_LEN;
        left -= NB_FLAGS_LEN;
        if (opcode === OPCODE_WACK) continue;
        if (left < 4) return incomplete();
        if (p + 4 > end) return -1;
        p += 4;
        left -= 4;
      }
      return p;
    case T_NBSTAT: {
      layer.statNames[r] = 0;
      layer.statNameFlags[r] = 0;
      if (left < 1) return incomplete();
      if (p >= end) return -1;
      // packet-nbns.c does not count the number-of-names byte against the length: nor does this.
      let names = buf[p++];
      for (; names > 0; names--) {
        if (left < NETBIOS_NAME_LEN) return incomplete();
        if (p + NETBIOS_NAME_LEN > end) return -1;
        p += NETBIOS_NAME_LEN;
        left -= NETBIOS_NAME_LEN;
        layer.statNames[r]++;
        if (left < 2) return incomplete();
        if (p + 2 > end) return -1;
        p += 2;
        left -= 2;
        layer.statNameFlags[r]++;
      }
      for (const size of STATISTICS_SIZES) {
        if (left < size) return incomplete();
        if (p + size > end) return -1;
        p += size;
        left -= size;
      }
      return p;
    }
    default:
      return p + left <= end ? p + left : -1;
  }
}
