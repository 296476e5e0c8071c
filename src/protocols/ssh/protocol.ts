// SSH's registration: tcp.port 22 and 29418, as tshark 4.0. The decode step only notes where the
// segment's bytes lie; what they are (banner, key exchange packet, encrypted packet, a piece of a
// longer PDU) depends on what came before in the stream, which the `ssh` analysis stage knows.

import { Dissection, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { SshLayer } from './layer';
import { SSH_TCP_PORTS } from './wire';

export const ssh = registerProtocol({
  name: 'ssh',
  label: 'SSH',
  tcpPorts: SSH_TCP_PORTS,
  encrypts: true,
  makeLayer: () => new SshLayer(),
  decode(d: Dissection, layer: SshLayer, off: number, end: number, id: number): number {
    // A segment without payload is TCP's alone (Wireshark calls no subdissector for it).
    if (end <= off || d.tcpOff < 0) return Proto.None;
    layer.off = off;
    layer.end = end;
    layer.wireEnd = d.payloadOff + d.payloadLen;
    layer.frame = -1;
    layer.count = 0;
    d.pushLayer(id, off);
    return Proto.None;
  },
});
