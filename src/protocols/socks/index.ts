// SOCKS (v4, v4a: the OpenSSH/NEC protocol note; v5: RFC 1928) on TCP port 1080, as tshark 4.0
// shows it: the handshake messages as `Socks` rows ("Version: 4 Connect to server request",
// "Version: 5 Command Response - Connect"), and afterwards the tunnelled bytes left to the protocol
// they carry (TLS, most often), with the conversation's SOCKS fields beside them and its
// "Version: N" before the pieces of a reassembled PDU, as Wireshark writes it.
//
// Which message a segment is depends on those before it in its conversation, so an analysis stage
// follows each conversation's handshake (a bounded table keyed by tcp.stream); the decode step only
// marks the segment as SOCKS.

import { Dissection, Proto, Slot } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';
import { registerStage } from '../../hooks';

export const SOCKS_PORT = 1080;
const MAX_CONVERSATIONS = 65536;

const enum Kind { None, V4Request, V4Response, V5Greeting, V5MethodChoice, V5Request, V5Response, V5Auth, V5AuthReply, Tunnel }

class SocksLayer {
  off = 0;
  end = 0;
}

/** The conversation's handshake, as far as it has gone. */
class Conversation {
  version = 0;
  command = 0;
  dstPort = 0;
  /** IPv4 destination as a number (v4 and v5 with an IPv4 address), -1 when none. */
  dstIp = -1;
  remoteName = '';
  /**
   * What tshark 4.0 shows as socks.dst beside tunnelled bytes of a v4 conversation: the request's
   * first four bytes (version, command, port) read as an address — a quirk of its dissector that
   * tcpwatch reproduces so that the fields agree.
   */
  tunnelDst = -1;
  clientMessages = 0;
  serverMessages = 0;
  /** The v5 method the server chose (2 = username/password: a subnegotiation comes first). */
  method = -1;
  tunnel = false;
}

/** What the stage found for the frame: which message it is, and the conversation's values then. */
class SocksFrame {
  frame = -1;
  kind = Kind.None;
  version = 0;
  command = 0;
  results = -1;
  dstPort = 0;
  dstIp = -1;
  remoteName = '';
  methodCount = -1;
  acceptedMethod = -1;
  addressType = -1;
}
const frames = new Slot(() => new SocksFrame());

export const socks = registerProtocol({
  name: 'socks',
  label: 'Socks',
  tcpPorts: [SOCKS_PORT],
  makeLayer: () => new SocksLayer(),
  decode(d: Dissection, layer: SocksLayer, off: number, end: number, id: number): number {
    if (end <= off) return Proto.None;
    layer.off = off;
    layer.end = end;
    d.pushLayer(id, off);
    return Proto.None;
  },
  info(d: Dissection): string | null {
    const f = frameOf(d);
    if (f === null || f.kind === Kind.Tunnel || f.kind === Kind.None) return null;
    return `Version: ${f.kind === Kind.V4Response ? 4 : f.version} ${MESSAGE_TEXT[f.kind]}${f.kind === Kind.V5Request || f.kind === Kind.V5Response ? COMMAND_NAMES[f.command] ?? 'Unknown' : ''}`;
  },
  tunnelPrefix(d: Dissection): string | null {
    const f = frameOf(d);
    return f !== null && f.kind === Kind.Tunnel ? `Version: ${f.version} ` : null;
  },
});

const MESSAGE_TEXT: Readonly<Record<number, string>> = {
  [Kind.V4Request]: 'Connect to server request', [Kind.V4Response]: 'Connect Response',
  [Kind.V5Greeting]: 'Connect to server request', [Kind.V5MethodChoice]: 'Connect to server response',
  [Kind.V5Request]: 'Command Request - ', [Kind.V5Response]: 'Command Response - ',
  [Kind.V5Auth]: 'Authentication request', [Kind.V5AuthReply]: 'Authentication response',
};
const COMMAND_NAMES: Readonly<Record<number, string>> = { 1: 'Connect', 2: 'Bind', 3: 'UdpAssociate', 4: 'Ping', 5: 'Traceroute' };

function frameOf(d: Dissection): SocksFrame | null {
  if (!d.hasLayer(socks.id)) return null;
  const f = frames.peek(d);
  return f !== undefined && f.frame === d.number ? f : null;
}

class SocksStage {
  private readonly convs = new Map<number, Conversation>();

  analyze(d: Dissection): void {
    if (d.tcpOff < 0 || (d.srcPort !== SOCKS_PORT && d.dstPort !== SOCKS_PORT) || !d.hasLayer(socks.id) || d.tcp.stream < 0) return;
    const layer = socks.layer(d);
    const buf = d.buf, off = layer.off, end = layer.end, len = end - off;
    let c = this.convs.get(d.tcp.stream);
    if (c === undefined) {
      if (this.convs.size >= MAX_CONVERSATIONS) for (const k of this.convs.keys()) { this.convs.delete(k); break; }
      c = new Conversation();
      this.convs.set(d.tcp.stream, c);
    }
    const f = frames.of(d);
    f.frame = d.number;
    f.kind = Kind.None;
    f.results = f.methodCount = f.acceptedMethod = f.addressType = -1;
    const fromClient = d.dstPort === SOCKS_PORT;
    if (c.tunnel) {
      f.kind = Kind.Tunnel;
    } else if (fromClient) {
      const n = c.clientMessages++;
      if (n === 0 && len >= 8 && buf[off] === 4) {
        c.version = 4;
        c.command = buf[off + 1];
        c.dstPort = buf.readUInt16BE(off + 2);
        c.dstIp = buf.readUInt32BE(off + 4);
        c.tunnelDst = buf.readUInt32BE(off);
        f.kind = Kind.V4Request;
      } else if (n === 0 && len >= 2 && buf[off] === 5) {
        c.version = 5;
        f.kind = Kind.V5Greeting;
        f.methodCount = buf[off + 1];
      } else if (c.version === 5 && c.method === 2 && n === 1) {
        f.kind = Kind.V5Auth;
      } else if (c.version === 5 && len >= 4 && buf[off] === 5) {
        c.command = buf[off + 1];
        f.addressType = buf[off + 3];
        readV5Address(c, buf, off, end);
        f.kind = Kind.V5Request;
      }
    } else {
      const n = c.serverMessages++;
      if (c.version === 4 && n === 0 && len >= 8) {
        f.kind = Kind.V4Response;
        f.results = buf[off + 1];
        c.tunnel = true;
      } else if (c.version === 5 && n === 0 && len >= 2) {
        f.kind = Kind.V5MethodChoice;
        c.method = buf[off + 1];
        f.acceptedMethod = c.method;
      } else if (c.version === 5 && c.method === 2 && n === 1) {
        f.kind = Kind.V5AuthReply;
      } else if (c.version === 5 && len >= 4 && buf[off] === 5) {
        f.kind = Kind.V5Response;
        f.results = buf[off + 1];
        f.addressType = buf[off + 3];
        c.tunnel = true;
      }
    }
    f.version = f.kind === Kind.V4Response ? 0 : c.version;
    f.command = c.command;
    f.dstPort = c.dstPort;
    f.dstIp = c.dstIp;
    f.remoteName = c.remoteName;
    if (f.kind === Kind.Tunnel && c.version === 4) f.dstIp = c.tunnelDst;
    if (f.kind === Kind.V5Response) {
      // The reply names the address the server bound, in the request's format (RFC 1928 §6).
      const bound = new Conversation();
      readV5Address(bound, buf, off, end);
      f.dstIp = bound.dstIp;
    }
    if (f.kind === Kind.V4Response) {
      // The v4 reply carries the port and address the server bound (they are the fields tshark shows).
      f.dstPort = buf.readUInt16BE(off + 2);
      f.dstIp = buf.readUInt32BE(off + 4);
    }
  }
}

/** RFC 1928 §4: the destination of a v5 request, by its address type. */
function readV5Address(c: Conversation, buf: Buffer, off: number, end: number): void {
  const atyp = buf[off + 3];
  let p = off + 4;
  c.dstIp = -1;
  c.remoteName = '';
  if (atyp === 1 && p + 6 <= end) {
    c.dstIp = buf.readUInt32BE(p);
    p += 4;
  } else if (atyp === 3 && p < end && p + 1 + buf[p] + 2 <= end) {
    c.remoteName = buf.toString('latin1', p + 1, p + 1 + buf[p]);
    p += 1 + buf[p];
  } else if (atyp === 4 && p + 18 <= end) {
    p += 16;
  } else {
    return;
  }
  c.dstPort = buf.readUInt16BE(p);
}

registerStage({ name: 'socks', after: [], make: () => new SocksStage() });

// ---- fields ----

const present = (d: Dissection): number => (frameOf(d) !== null ? 1 : 0);
const has = (pick: (f: SocksFrame) => boolean) => (d: Dissection): number => { const f = frameOf(d); return f !== null && pick(f) ? 1 : 0; };
defineField({ name: 'socks', label: 'Socks Protocol', shortName: 'Socks', type: FT.None, proto: 'socks', count: present, range: (d, _i, o) => o.set(d.buf, socks.layer(d).off, socks.layer(d).end - socks.layer(d).off) });
defineField({
  name: 'socks.version', valueBits: 8, label: 'Version', type: FT.UInt, proto: 'socks',
  count: has((f) => f.kind !== Kind.None), num: (d) => frameOf(d)!.version,
});
defineField({
  name: 'socks.command', valueBits: 8, label: 'Command', type: FT.UInt, proto: 'socks', valueNames: COMMAND_NAMES,
  count: has((f) => f.kind !== Kind.None && f.kind !== Kind.V4Response && f.kind !== Kind.V5Greeting && f.kind !== Kind.V5MethodChoice && f.kind !== Kind.V5Response && f.command !== 0),
  num: (d) => frameOf(d)!.command,
});
defineField({
  name: 'socks.results', valueBits: 8, label: 'Results(V4)', type: FT.UInt, proto: 'socks',
  count: has((f) => f.kind === Kind.V4Response || f.kind === Kind.V5Response), num: (d) => frameOf(d)!.results,
});
defineField({
  name: 'socks.dstport', valueBits: 16, label: 'Remote Port', type: FT.UInt, proto: 'socks',
  count: has((f) => f.version === 4 || f.kind === Kind.V4Response || (f.version === 5 && f.kind === Kind.Tunnel)), num: (d) => frameOf(d)!.dstPort,
});
defineField({
  name: 'socks.dst', label: 'Remote Address', type: FT.IPv4, proto: 'socks',
  count: has((f) => f.dstIp >= 0 && f.kind !== Kind.V5Greeting && f.kind !== Kind.V5MethodChoice), num: (d) => frameOf(d)!.dstIp,
});
defineField({
  name: 'socks.auth_method_count', valueBits: 8, label: 'Authentication Method Count', type: FT.UInt, proto: 'socks',
  count: has((f) => f.kind === Kind.V5Greeting), num: (d) => frameOf(d)!.methodCount,
});
defineField({
  name: 'socks.auth_accepted_method', valueBits: 8, label: 'Accepted Auth Method', type: FT.UInt, proto: 'socks',
  count: has((f) => f.kind === Kind.V5MethodChoice), num: (d) => frameOf(d)!.acceptedMethod,
});
defineField({
  name: 'socks.address_type', valueBits: 8, label: 'Address Type', type: FT.UInt, proto: 'socks',
  count: has((f) => (f.kind === Kind.V5Request || f.kind === Kind.V5Response) && f.addressType >= 0), num: (d) => frameOf(d)!.addressType,
});
defineField({
  name: 'socks.remote_name', label: 'Remote name', type: FT.String, proto: 'socks',
  count: has((f) => f.version === 5 && f.kind === Kind.V5Request && f.remoteName !== ''), text: (d) => frameOf(d)!.remoteName,
});
