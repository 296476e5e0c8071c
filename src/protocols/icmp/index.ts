// ICMP (RFC 792): the message, its Info column as tshark 4.0 writes it, its fields and tree, and
// the echo matching that names a reply's request. ICMP keeps its fixed id (Proto.Icmp): IPv4 hands
// on to it directly, and an error's quoted datagram, the row colours and --explain name it by id.
//
// An error message (unreachable, time exceeded, redirect, parameter problem, source quench) quotes
// the datagram it concerns; the decode step hands the quote on to IPv4, marked as inside an error
// (d.inIcmpError) so that the quote's TCP or UDP is not taken for the frame's, and a second error
// inside the quote is not followed.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import * as w from './wire';
import { IcmpLayer } from './layer';

export { IcmpLayer };
import { echoMatch } from './echo-match';
import './fields';
import './extensions';


export const icmp = registerProtocol({
  name: 'icmp',
  label: 'ICMP',
  fixedId: Proto.Icmp,
  makeLayer: () => new IcmpLayer(),
  decode(d: Dissection, layer: IcmpLayer, off: number, end: number, id: number): number {
    if (end - off < w.MIN_LEN) {
      d.markMalformed(Malformed.Transport, id);
      return Proto.None;
    }
    // The quote of an error is the second message a frame can have; the first resets the slot.
    const k = d.inIcmpError ? 1 : 0;
    layer.count = k + 1;
    layer.off[k] = off;
    layer.end[k] = end;
    layer.ipOff[k] = d.stackLen > 0 && d.stack[d.stackLen - 1] === Proto.IPv4 ? d.stackOff[d.stackLen - 1] : -1;
    layer.reportedLen[k] = d.netPayloadLen;
    layer.fragmented[k] = d.fragmented ? 1 : 0;
    layer.extOff[k] = w.extensionsAt(d.buf, off, end);
    if (d.icmpOff < 0) d.icmpOff = off;
    d.pushLayer(id, off);
    if (!w.isError(d.buf[off + w.TYPE]) || end - off <= w.HEADER_LEN || d.inIcmpError) return Proto.None;
    d.inIcmpError = true;
    d.nextOff = off + w.HEADER_LEN;
    // The quoted datagram ends where the extensions start.
    if (layer.extOff[k] >= 0 && layer.extOff[k] < d.netEnd) d.netEnd = layer.extOff[k];
    return Proto.IPv4;
  },
  info: (d, layer) => icmpInfo(d, layer),
});

/** Info as Wireshark's ICMP dissector writes it: the type padded to 20, the code's text, then what the type adds. */
function icmpInfo(d: Dissection, layer: IcmpLayer): string {
  const buf = d.buf, off = layer.off[0], end = layer.end[0];
  const type = buf[off + w.TYPE], code = buf[off + w.CODE];
  let s = (w.TYPE_NAMES[type] ?? w.UNKNOWN_TYPE).padEnd(20);
  const codeText = w.codeText(type, code);
  if (codeText !== null) s += ` (${codeText})`;
  if ((type === w.ECHO_REQUEST || type === w.ECHO_REPLY) && end - off >= w.HEADER_LEN) {
    const ttl = layer.ipOff[0] >= 0 ? buf[layer.ipOff[0] + 8] : 0;
    s += ` id=0x${buf.readUInt16BE(off + w.IDENT).toString(16).padStart(4, '0')}, seq=${buf.readUInt16BE(off + w.SEQ)}/${buf.readUInt16LE(off + w.SEQ)}, ttl=${ttl}`;
    const m = echoMatch.peek(d);
    if (type === w.ECHO_REPLY && m !== undefined && m.number === d.number && m.requestIn > 0) s += ` (request in ${m.requestIn})`;
  }
  return s;
}
