// SSH's fields, with tshark 4.0's names and types (packet-ssh.c hf_register_info). Each reads the
// parts the `ssh` stage recorded for the frame (layer.ts), from the frame's bytes, when asked.

import { Dissection } from '../../decode/dissection';
import { printableAsciiText } from '../../fields/format';
import { defineField, FT, Span } from '../../fields/registry';
import { analysedLayer } from './analyzer';
import { ssh } from './protocol';
import { ItemKind, Role, SshLayer } from './layer';
import { COOKIE_LEN, KEXINIT_COOKIE, KEXINIT_LISTS, MESSAGE_CODE, messageName, messageNames, MSG_KEXINIT, NameTable } from './wire';

const present = (d: Dissection): SshLayer | null => {
  const layer = analysedLayer(d);
  return layer !== null && layer.role !== Role.PduMiddle && layer.role !== Role.None ? layer : null;
};

/** Index of the i-th part that `want` accepts, or -1. */
function nth(layer: SshLayer, want: (layer: SshLayer, k: number) => boolean, i: number): number {
  for (let k = 0; k < layer.count; k++) if (want(layer, k) && i-- === 0) return k;
  return -1;
}
function countOf(d: Dissection, want: (layer: SshLayer, k: number) => boolean): number {
  const layer = present(d);
  if (layer === null) return 0;
  let n = 0;
  for (let k = 0; k < layer.count; k++) if (want(layer, k)) n++;
  return n;
}
/** Declares a field over the parts `want` accepts: `at` gives occurrence i's part. */
function partField(
  name: string, label: string, type: FT, want: (layer: SshLayer, k: number) => boolean,
  read: {
    num?: (d: Dissection, layer: SshLayer, k: number) => number;
    bytes?: (d: Dissection, layer: SshLayer, k: number, o: Span) => boolean;
    text?: (d: Dissection, layer: SshLayer, k: number) => string;
    range: (d: Dissection, layer: SshLayer, k: number, o: Span) => boolean;
  },
  extra: { valueBits?: 8 | 16 | 24 | 32 | 64; valueNames?: Readonly<Record<number, string>>; generated?: boolean; display?: (d: Dissection, i: number) => string } = {},
): void {
  const part = (d: Dissection, i: number): [SshLayer, number] | null => {
    const layer = present(d);
    if (layer === null) return null;
    const k = nth(layer, want, i);
    return k < 0 ? null : [layer, k];
  };
  defineField({
    name, label, type, proto: 'ssh', ...extra,
    count: (d) => countOf(d, want),
    num: read.num && ((d, i) => { const p = part(d, i); return p === null ? 0 : read.num!(d, p[0], p[1]); }),
    bytes: read.bytes && ((d, i, o) => { const p = part(d, i); return p !== null && read.bytes!(d, p[0], p[1], o); }),
    text: read.text && ((d, i) => { const p = part(d, i); return p === null ? '' : read.text!(d, p[0], p[1]); }),
    range: (d, i, o) => { const p = part(d, i); return p !== null && read.range(d, p[0], p[1], o); },
  });
}

const isBanner = (l: SshLayer, k: number): boolean => l.kind[k] === ItemKind.Banner;
const isPacket = (l: SshLayer, k: number): boolean => l.kind[k] === ItemKind.Packet2 || l.kind[k] === ItemKind.Packet1;
const hasCode = (l: SshLayer, k: number): boolean => l.kind[k] === ItemKind.Packet2 || (l.kind[k] === ItemKind.Packet1 && l.code[k] >= 0);
const isKexInit = (l: SshLayer, k: number): boolean => l.kind[k] === ItemKind.Packet2 && l.code[k] === MSG_KEXINIT;
const isPacket2 = (l: SshLayer, k: number): boolean => l.kind[k] === ItemKind.Packet2;

defineField({
  name: 'ssh', label: 'SSH Protocol', type: FT.None, proto: 'ssh', count: (d) => (present(d) !== null ? d.layerCount(ssh.id) : 0),
  range: (d, _i, o) => { const l = present(d); return l !== null && o.set(d.buf, l.off, l.end - l.off); },
});

partField('ssh.protocol', 'Protocol', FT.String, isBanner, {
  text: (d, l, k) => printableAsciiText(d.buf, l.start[k], l.aux[k]),
  range: (d, l, k, o) => o.set(d.buf, l.start[k], l.aux[k]),
});
partField('ssh.packet_length', 'Packet Length', FT.UInt, isPacket, {
  num: (d, l, k) => d.buf.readUInt32BE(l.start[k]),
  range: (d, l, k, o) => o.set(d.buf, l.start[k], 4),
}, { valueBits: 32 });
/** SSHv1 pads to a multiple of 8 with 1 to 8 bytes: the length is implied, not sent. */
const ssh1Padding = (d: Dissection, l: SshLayer, k: number): number => 8 - (d.buf.readUInt32BE(l.start[k]) % 8);
partField('ssh.padding_length', 'Padding Length', FT.UInt, isPacket, {
  num: (d, l, k) => (l.kind[k] === ItemKind.Packet2 ? d.buf[l.start[k] + 4] : ssh1Padding(d, l, k)),
  range: (d, l, k, o) => o.set(d.buf, l.start[k] + 4, l.kind[k] === ItemKind.Packet2 ? 1 : ssh1Padding(d, l, k)),
}, { valueBits: 8 });
partField('ssh.message_code', 'Message Code', FT.UInt, hasCode, {
  num: (_d, l, k) => l.code[k],
  range: (d, l, k, o) => o.set(d.buf, l.kind[k] === ItemKind.Packet2 ? l.start[k] + MESSAGE_CODE : l.start[k] + 4 + ssh1Padding(d, l, k), 1),
}, {
  valueBits: 8, valueNames: messageNames(NameTable.Ssh2),
  // Codes 30–39 are named by the negotiated key exchange method, SSHv1's by its own table.
  display: (d, i) => {
    const l = present(d);
    const k = l === null ? -1 : nth(l, hasCode, i);
    return k < 0 ? '' : `${messageName(l!.table[k] as NameTable, l!.code[k])} (${l!.code[k]})`;
  },
});
partField('ssh.cookie', 'Cookie', FT.Bytes, isKexInit, {
  bytes: (d, l, k, o) => o.set(d.buf, l.start[k] + KEXINIT_COOKIE, COOKIE_LEN),
  range: (d, l, k, o) => o.set(d.buf, l.start[k] + KEXINIT_COOKIE, COOKIE_LEN),
});

/** Where name-list `list` (0–9) of a KEXINIT starting at `start` lies: its length field's offset, or -1. */
function listAt(d: Dissection, l: SshLayer, k: number, list: number): number {
  let q = l.start[k] + KEXINIT_COOKIE + COOKIE_LEN;
  for (let j = 0; j < list; j++) {
    if (q + 4 > l.end) return -1;
    q += 4 + d.buf.readUInt32BE(q);
  }
  return q + 4 <= l.end ? q : -1;
}
// RFC 4253 §7.1, in the order they are sent
const LISTS = [
  'kex_algorithms', 'server_host_key_algorithms', 'encryption_algorithms_client_to_server',
  'encryption_algorithms_server_to_client', 'mac_algorithms_client_to_server', 'mac_algorithms_server_to_client',
  'compression_algorithms_client_to_server', 'compression_algorithms_server_to_client',
  'languages_client_to_server', 'languages_server_to_client',
];
for (let list = 0; list < KEXINIT_LISTS; list++) {
  const name = LISTS[list];
  const lengthAt = (d: Dissection, l: SshLayer, k: number): number => listAt(d, l, k, list);
  {
    partField(`ssh.${name}_length`, `${name} length`, FT.UInt, isKexInit, {
      num: (d, l, k) => { const q = lengthAt(d, l, k); return q < 0 ? 0 : d.buf.readUInt32BE(q); },
      range: (d, l, k, o) => { const q = lengthAt(d, l, k); return q >= 0 && o.set(d.buf, q, 4); },
    }, { valueBits: 32 });
  }
  {
    partField(`ssh.${name}`, `${name} string`, FT.String, isKexInit, {
      text: (d, l, k) => { const q = lengthAt(d, l, k); return q < 0 ? '' : d.buf.toString('latin1', q + 4, q + 4 + d.buf.readUInt32BE(q)); },
      range: (d, l, k, o) => { const q = lengthAt(d, l, k); return q >= 0 && o.set(d.buf, q + 4, d.buf.readUInt32BE(q)); },
    });
  }
}
const afterLists = (d: Dissection, l: SshLayer, k: number): number => {
  const q = listAt(d, l, k, KEXINIT_LISTS - 1);
  return q < 0 ? -1 : q + 4 + d.buf.readUInt32BE(q);
};
partField('ssh.first_kex_packet_follows', 'First KEX Packet Follows', FT.UInt, isKexInit, {
  num: (d, l, k) => { const q = afterLists(d, l, k); return q < 0 ? 0 : d.buf[q]; },
  range: (d, l, k, o) => { const q = afterLists(d, l, k); return q >= 0 && o.set(d.buf, q, 1); },
}, { valueBits: 8 });
partField('ssh.kex.reserved', 'Reserved', FT.Bytes, isKexInit, {
  bytes: (d, l, k, o) => { const q = afterLists(d, l, k); return q >= 0 && o.set(d.buf, q + 1, 4); },
  range: (d, l, k, o) => { const q = afterLists(d, l, k); return q >= 0 && o.set(d.buf, q + 1, 4); },
});
/** RFC 4253 §6 random padding: the packet's last padding_length bytes (MAC excluded: none before NEWKEYS). */
const paddingAt = (d: Dissection, l: SshLayer, k: number, o: Span): boolean => {
  const padding = d.buf[l.start[k] + 4];
  return o.set(d.buf, l.start[k] + l.len[k] - padding, padding);
};
partField('ssh.padding_string', 'Padding String', FT.Bytes, isPacket2, { bytes: paddingAt, range: paddingAt });

defineField({
  name: 'ssh.direction', label: 'Direction', type: FT.Bool, proto: 'ssh', generated: true,
  // packet-ssh.c adds it once the frame's messages are all read (not when it waits for more).
  count: (d) => { const l = present(d); return l !== null && l.role === Role.Ssh && !l.aborted ? 1 : 0; },
  num: (d) => (present(d)?.server === true ? 1 : 0),
  display: (d) => (present(d)?.server === true ? 'server-to-client' : 'client-to-server'),
});
