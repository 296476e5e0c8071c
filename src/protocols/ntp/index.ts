// NTP (RFC 5905) on udp.port 123: the Info column tshark 4.0 writes (packet-ntp.c, "NTP Version N,
// <mode>") and the flags byte every NTP packet starts with. The rest of the header (stratum, poll,
// timestamps) and control messages' bodies are not dissected yet.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

/** IANA's port for NTP (RFC 5905 §9). */
export const NTP_PORT = 123;
// RFC 5905 §7.3: LI (2 bits), VN (3 bits), Mode (3 bits) in the first byte
const FLAGS = 0;
const LI_MASK = 0xc0;
const VN_MASK = 0x38;
const MODE_MASK = 0x07;

/** packet-ntp.c's mode names for the Info column. */
const MODE_INFO = ['reserved', 'symmetric active', 'symmetric passive', 'client', 'server', 'broadcast', 'control', 'private'];

class NtpLayer {
  off = 0;
  len = 0;
}

export const ntp = registerProtocol({
  name: 'ntp',
  label: 'NTP',
  udpPorts: [NTP_PORT],
  makeLayer: () => new NtpLayer(),
  decode(d: Dissection, layer: NtpLayer, off: number, end: number, id: number): number {
    if (end <= off) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    layer.off = off;
    layer.len = end - off;
    d.pushLayer(id, off);
    return Proto.None;
  },
  info: (d, layer) => {
    const flags = d.buf[layer.off + FLAGS];
    return `NTP Version ${(flags & VN_MASK) >> 3}, ${MODE_INFO[flags & MODE_MASK]}`;
  },
});

const present = (d: Dissection): number => (d.hasLayer(ntp.id) ? 1 : 0);
const flagsByte = (d: Dissection): number => d.buf[ntp.layer(d).off + FLAGS];
defineField({
  name: 'ntp', label: 'Network Time Protocol', type: FT.None, proto: 'ntp', count: present,
  range: (d, _i, o) => o.set(d.buf, ntp.layer(d).off, ntp.layer(d).len),
});
defineField({
  name: 'ntp.flags', valueBits: 8, label: 'Flags', type: FT.Hex, hexDigits: 2, proto: 'ntp', count: present,
  num: flagsByte, range: (d, _i, o) => o.set(d.buf, ntp.layer(d).off + FLAGS, 1),
});
for (const [name, label, mask] of [
  ['ntp.flags.li', 'Leap Indicator', LI_MASK], ['ntp.flags.vn', 'Version number', VN_MASK], ['ntp.flags.mode', 'Mode', MODE_MASK],
] as const) {
  const shift = mask === LI_MASK ? 6 : mask === VN_MASK ? 3 : 0;
  defineField({
    name, label, valueBits: 8, type: FT.UInt, proto: 'ntp', count: present, parent: 'ntp.flags', mask, bitWidth: 8, unit: flagsByte,
    num: (d) => (flagsByte(d) & mask) >> shift, range: (d, _i, o) => o.set(d.buf, ntp.layer(d).off + FLAGS, 1),
  });
}
