// Apache JServ Protocol 1.3 on tcp.port 8009, framed as tshark 4.0 frames it (packet-ajp13.c hands
// the port to tcp_dissect_pdus): every packet is a 4-byte header — a magic of two bytes, then the
// length of what follows — so a segment that starts a longer packet is "[TCP segment of a
// reassembled PDU]", whatever its bytes (TLS spoken on 8009 reads so in tshark too). A whole packet
// shows its magic and length; the messages inside (forwarded requests, headers, body chunks) are
// not dissected yet.

import { Dissection } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

/** The port servlet containers (Tomcat's AJP connector) listen on. */
export const AJP13_PORT = 8009;
// The AJPv13 packet header (Apache's AJPv13 protocol reference, "Packet Format")
const MAGIC = 0;
const LENGTH = 2;
const HEADER_LEN = 4;

class Ajp13Layer {
  frame = -1;
  /** The first whole packet of the frame: its buffer (the frame's or a reassembly's, valid until the next frame). */
  buf: Buffer = Buffer.alloc(0);
  off = 0;
  end = 0;
}

export const ajp13 = registerProtocol({
  name: 'ajp13',
  label: 'AJP13',
  tcpPorts: [AJP13_PORT],
  makeLayer: () => new Ajp13Layer(),
  // Framed over TCP: the framing calls tcpPdu.dissect, never this per-segment step.
  decode: () => 0,
  tcpPdu: {
    // The length field says how much follows the header; fewer than 4 bytes: ask for the header.
    pduLength: (buf: Buffer, off: number, end: number): number => (end - off < HEADER_LEN ? -HEADER_LEN : HEADER_LEN + buf.readUInt16BE(off + LENGTH)),
    dissect(d: Dissection, layer: Ajp13Layer, buf: Buffer, off: number, end: number, reassembled: boolean, id: number): void {
      if (layer.frame === d.number) return;
      layer.frame = d.number;
      layer.buf = buf;
      layer.off = off;
      layer.end = end;
      d.pushLayer(id, reassembled ? d.payloadOff : off);
    },
  },
  info: () => '',
});

const present = (d: Dissection): boolean => d.hasLayer(ajp13.id) && ajp13.layer(d).frame === d.number;
const whole = (d: Dissection): number => (present(d) && ajp13.layer(d).end - ajp13.layer(d).off >= HEADER_LEN ? 1 : 0);
defineField({
  name: 'ajp13', label: 'Apache JServ Protocol v1.3', type: FT.None, proto: 'ajp13', count: (d) => (present(d) ? 1 : 0),
  range: (d, _i, o) => { const l = ajp13.layer(d); return o.set(l.buf, l.off, l.end - l.off); },
});
defineField({
  name: 'ajp13.magic', label: 'Magic', type: FT.Bytes, proto: 'ajp13', count: whole,
  bytes: (d, _i, o) => o.set(ajp13.layer(d).buf, ajp13.layer(d).off + MAGIC, 2),
  range: (d, _i, o) => o.set(ajp13.layer(d).buf, ajp13.layer(d).off + MAGIC, 2),
});
defineField({
  name: 'ajp13.len', label: 'Length', type: FT.UInt, valueBits: 16, proto: 'ajp13', count: whole,
  num: (d) => ajp13.layer(d).buf.readUInt16BE(ajp13.layer(d).off + LENGTH),
  range: (d, _i, o) => o.set(ajp13.layer(d).buf, ajp13.layer(d).off + LENGTH, 2),
});
