// vsock (LINKTYPE_VSOCK, 271): Linux's vsockmon header in front of each VM socket message, little-
// endian — source and destination context ids and ports, the operation, the transport and its
// header's length — then the transport's header (virtio's, struct virtio_vsock_hdr) and the payload.
// tshark names it vSocket; its Info is `[op] Virtio: type, Op: virtio op, Buf alloc: …, Fwd cnt: …`.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT, Span } from '../../fields/registry';

export const LINKTYPE_VSOCK = 271;
// struct af_vsockmon_hdr (include/uapi/linux/vsockmon.h)
const SRC_CID = 0;
const DST_CID = 8;
const SRC_PORT = 16;
const DST_PORT = 20;
const OP = 24;
const TRANSPORT = 26;
const TRANSPORT_LEN = 28;
const RESERVED = 30;
const HEADER_LEN = 32;
// struct virtio_vsock_hdr (include/uapi/linux/virtio_vsock.h), after the vsockmon header
const V_SRC_CID = 0;
const V_DST_CID = 8;
const V_SRC_PORT = 16;
const V_DST_PORT = 20;
const V_LEN = 24;
const V_TYPE = 28;
const V_OP = 30;
const V_FLAGS = 32;
const V_BUF_ALLOC = 36;
const V_FWD_CNT = 40;
const VIRTIO_HEADER_LEN = 44;
const TRANSPORT_VIRTIO = 2;

const OP_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'Connect', 2: 'Disconnect', 3: 'Control', 4: 'Payload' };
const TRANSPORT_NAMES: Readonly<Record<number, string>> = { 0: 'Unknown', 1: 'No info', 2: 'Virtio' };
const VIRTIO_TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'Stream', 2: 'Seqpacket' };
const VIRTIO_OP_NAMES: Readonly<Record<number, string>> = {
  0: 'Invalid', 1: 'Request', 2: 'Response', 3: 'Rst', 4: 'Shutdown', 5: 'RW', 6: 'Credit update', 7: 'Credit request',
};

class VsockLayer {
  off = 0;
  end = 0;
  /** Where the virtio header starts, -1 when the transport is not virtio or its header is cut short. */
  virtio = -1;
  /** Where the payload starts. */
  payload = 0;
}

export const vsock = registerProtocol({
  name: 'vsock',
  label: 'vSocket',
  linkTypes: [LINKTYPE_VSOCK],
  makeLayer: () => new VsockLayer(),
  decode(d: Dissection, layer: VsockLayer, off: number, end: number, id: number): number {
    layer.off = off;
    layer.end = end;
    layer.virtio = -1;
    layer.payload = end;
    if (end - off < HEADER_LEN) {
      d.markMalformed(Malformed.Link, id);
      return Proto.None;
    }
    d.pushLayer(id, off);
    const transportLen = d.buf.readUInt16LE(off + TRANSPORT_LEN);
    if (transportLen > end - off - HEADER_LEN) {
      d.markMalformed(Malformed.Link, id);
      return Proto.None;
    }
    layer.payload = off + HEADER_LEN + transportLen;
    if (d.buf.readUInt16LE(off + TRANSPORT) === TRANSPORT_VIRTIO && transportLen >= VIRTIO_HEADER_LEN) layer.virtio = off + HEADER_LEN;
    return Proto.None;
  },
  info: (d, layer) => {
    const op = OP_NAMES[d.buf.readUInt16LE(layer.off + OP)] ?? 'Unknown';
    const v = layer.virtio;
    if (v < 0) return `[${op}]`;
    const u16 = (p: number): number => d.buf.readUInt16LE(v + p), u32 = (p: number): number => d.buf.readUInt32LE(v + p);
    return `[${op}] Virtio: ${VIRTIO_TYPE_NAMES[u16(V_TYPE)] ?? 'Unknown'}, Op: ${VIRTIO_OP_NAMES[u16(V_OP)] ?? 'Unknown'}, Buf alloc: ${u32(V_BUF_ALLOC)}, Fwd cnt: ${u32(V_FWD_CNT)}`;
  },
});

const L = (d: Dissection): VsockLayer => vsock.layer(d);
const has = (d: Dissection): number => (d.hasLayer(vsock.id) ? 1 : 0);
const hasVirtio = (d: Dissection): number => (d.hasLayer(vsock.id) && L(d).virtio >= 0 ? 1 : 0);
defineField({
  name: 'vsock', label: 'vSocket', shortName: 'vsock', type: FT.None, proto: 'vsock', count: has,
  heading: (d) => `vSocket, Op: ${OP_NAMES[d.buf.readUInt16LE(L(d).off + OP)] ?? 'Unknown'}, Transport: ${TRANSPORT_NAMES[d.buf.readUInt16LE(L(d).off + TRANSPORT)] ?? 'Unknown'}`,
  range: (d, _i, o) => o.set(d.buf, L(d).off, L(d).end - L(d).off),
});
type Width = 2 | 4 | 8;
function leField(name: string, label: string, pos: number, width: Width, count: (d: Dissection) => number, base: (d: Dissection) => number, names?: Readonly<Record<number, string>>, hex = false): void {
  const read = (d: Dissection): number => {
    const p = base(d) + pos;
    return width === 2 ? d.buf.readUInt16LE(p) : width === 4 ? d.buf.readUInt32LE(p) : Number(d.buf.readBigUInt64LE(p));
  };
  defineField({
    name, label, type: hex ? FT.Hex : FT.UInt, hexDigits: hex ? 2 * width : undefined, valueBits: (width * 8) as 16 | 32 | 64, proto: 'vsock', count,
    num: read, display: names ? (d) => `${names[read(d)] ?? 'Unknown'} (${read(d)})` : undefined,
    range: (d, _i, o) => o.set(d.buf, base(d) + pos, width),
  });
}
const at = (d: Dissection): number => L(d).off;
const virtioAt = (d: Dissection): number => L(d).virtio;
leField('vsock.src_cid', 'Source cid', SRC_CID, 8, has, at);
leField('vsock.dst_cid', 'Destination cid', DST_CID, 8, has, at);
leField('vsock.src_port', 'Source port', SRC_PORT, 4, has, at);
leField('vsock.dst_port', 'Destination port', DST_PORT, 4, has, at);
leField('vsock.op', 'Operation', OP, 2, has, at, OP_NAMES);
leField('vsock.trans', 'Transport', TRANSPORT, 2, has, at, TRANSPORT_NAMES);
leField('vsock.trans_len', 'Transport length', TRANSPORT_LEN, 2, has, at);
const reservedSpan = (d: Dissection, _i: number, o: Span): true => o.set(d.buf, L(d).off + RESERVED, 2);
defineField({ name: 'vsock.reserved', label: 'Reserved', type: FT.Bytes, proto: 'vsock', count: has, bytes: reservedSpan, range: reservedSpan });
leField('vsock.virtio.src_cid', 'Source cid', V_SRC_CID, 8, hasVirtio, virtioAt);
leField('vsock.virtio.dst_cid', 'Destination cid', V_DST_CID, 8, hasVirtio, virtioAt);
leField('vsock.virtio.src_prot', 'Source port', V_SRC_PORT, 4, hasVirtio, virtioAt);
leField('vsock.virtio.dst_prot', 'Destination port', V_DST_PORT, 4, hasVirtio, virtioAt);
leField('vsock.virtio.len', 'Length', V_LEN, 4, hasVirtio, virtioAt);
leField('vsock.virtio.type', 'Type', V_TYPE, 2, hasVirtio, virtioAt, VIRTIO_TYPE_NAMES);
leField('vsock.virtio.op', 'Operation', V_OP, 2, hasVirtio, virtioAt, VIRTIO_OP_NAMES);
leField('vsock.virtio.flags', 'Flags', V_FLAGS, 4, hasVirtio, virtioAt, undefined, true);
leField('vsock.virtio.buf_alloc', 'Buf alloc', V_BUF_ALLOC, 4, hasVirtio, virtioAt);
leField('vsock.virtio.fwd_cnt', 'Fwd cnt', V_FWD_CNT, 4, hasVirtio, virtioAt);
const payloadSpan = (d: Dissection, _i: number, o: Span): true => o.set(d.buf, L(d).payload, L(d).end - L(d).payload);
defineField({
  name: 'vsock.payload', label: 'Payload', type: FT.Bytes, proto: 'vsock', count: (d) => (has(d) && L(d).end > L(d).payload ? 1 : 0),
  bytes: payloadSpan, range: payloadSpan,
});
