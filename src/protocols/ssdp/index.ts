// SSDP (UPnP Device Architecture §1): HTTP-formatted requests and responses over UDP to port 1900.
// tshark 4.0 hands them to its HTTP dissector under the name SSDP; the Info column is the request or
// status line followed by a space, as HTTP writes it. The headers are not dissected yet.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { printableAsciiText } from '../../fields/format';
import { defineField, FT } from '../../fields/registry';

/** IANA's port for SSDP (UPnP multicast 239.255.255.250:1900). */
export const SSDP_PORT = 1900;

class SsdpLayer {
  off = 0;
  len = 0;
  /** Length of the first line without its CR LF. */
  lineLen = 0;
}

export const ssdp = registerProtocol({
  name: 'ssdp',
  label: 'SSDP',
  udpPorts: [SSDP_PORT],
  makeLayer: () => new SsdpLayer(),
  decode(d: Dissection, layer: SsdpLayer, off: number, end: number, id: number): number {
    if (end <= off) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    // tshark's HTTP dissector takes only what starts like an HTTP request or status line.
    if (!startsLikeHttp(d.buf, off, end)) return Proto.Data;
    layer.off = off;
    layer.len = end - off;
    const nl = d.buf.indexOf(0x0a, off);
    const lineEnd = nl < 0 || nl >= end ? end : nl;
    layer.lineLen = (lineEnd > off && d.buf[lineEnd - 1] === 0x0d ? lineEnd - 1 : lineEnd) - off;
    d.pushLayer(id, off);
    return Proto.None;
  },
  info: (d, layer) => printableAsciiText(d.buf, layer.off, layer.lineLen) + ' ',
});

/** Methods SSDP uses (UPnP Device Architecture §1, GENA) and the HTTP ones it may carry. */
const METHODS = ['M-SEARCH ', 'NOTIFY ', 'SUBSCRIBE ', 'UNSUBSCRIBE ', 'GET ', 'POST ', 'HEAD ', 'PUT '];

function startsLikeHttp(buf: Buffer, off: number, end: number): boolean {
  const head = buf.toString('latin1', off, Math.min(end, off + 12));
  return head.startsWith('HTTP/') || METHODS.some((m) => head.startsWith(m));
}

defineField({
  name: 'ssdp', label: 'Simple Service Discovery Protocol', type: FT.None, proto: 'ssdp',
  count: (d) => (d.hasLayer(ssdp.id) ? 1 : 0),
  range: (d, _i, o) => o.set(d.buf, ssdp.layer(d).off, ssdp.layer(d).len),
});
