// The Echo protocol (RFC 862): whatever a client sends to port 7, over UDP or TCP, the server sends
// back. The smallest protocol tcpwatch dissects, and the example docs/ARCHITECTURE.md walks through:
// this folder and its line in src/protocols/index.ts are all of it.

import { Dissection, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

/** RFC 862: the Echo service's port, on TCP and UDP alike. */
export const ECHO_PORT = 7;

class EchoLayer {
  off = 0;
  len = 0;
  /** Sent to the Echo port (a request), rather than from it. */
  request = false;
}

export const echo = registerProtocol({
  name: 'echo',
  label: 'ECHO',
  udpPorts: [ECHO_PORT],
  tcpPorts: [ECHO_PORT],
  makeLayer: () => new EchoLayer(),
  decode(d: Dissection, layer: EchoLayer, off: number, end: number, id: number): number {
    layer.off = off;
    layer.len = end > off ? end - off : 0;
    layer.request = d.dstPort === ECHO_PORT;
    d.pushLayer(id, off);
    return Proto.None;
  },
  info: (_d, layer) => (layer.request ? 'Request' : 'Response'),
});

const present = (d: Dissection): number => (d.hasLayer(echo.id) ? 1 : 0);
defineField({
  name: 'echo', label: 'Echo', type: FT.None, proto: 'echo', count: present,
  range: (d, _i, o) => o.set(d.buf, echo.layer(d).off, echo.layer(d).len),
});
defineField({
  name: 'echo.data', label: 'Echo data', type: FT.Bytes, proto: 'echo', count: present,
  bytes: (d, _i, o) => o.set(d.buf, echo.layer(d).off, echo.layer(d).len),
  range: (d, _i, o) => o.set(d.buf, echo.layer(d).off, echo.layer(d).len),
});
defineField({
  name: 'echo.request', label: 'Echo request', type: FT.Bool, proto: 'echo',
  count: (d) => (d.hasLayer(echo.id) && echo.layer(d).request ? 1 : 0), num: () => 1,
});
defineField({
  name: 'echo.response', label: 'Echo response', type: FT.Bool, proto: 'echo',
  count: (d) => (d.hasLayer(echo.id) && !echo.layer(d).request ? 1 : 0), num: () => 1,
});
