// The decode loop: link → network → transport, one small step per layer, each returning the
// protocol that comes next (gopacket's NextLayerType). It fills the caller's reused Dissection and
// never throws on packet bytes: a step that finds a short or inconsistent header marks the frame
// malformed at that layer and the loop ends, keeping what was decoded before.

import { Dissection, Proto, Malformed } from './dissection';
import { LinkType, decodeEthernet, decodeVlan, decodeSll, decodeSll2, decodeNull, decodePpp, rawIpNext } from './link';
import { decodeIPv4, decodeIPv6 } from './ip';
import { decodeTcp } from './tcp';
import { decodeUdp } from './udp';
import { decodeGre } from './gre';
import { decodeRegistered, isRegistered, linkTypeProtocol } from './protocol-registry';

/** Link types the decoder understands; others are shown as raw frames. */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case LinkType.Ethernet: case LinkType.Null: case LinkType.Loop: case LinkType.Raw:
    case LinkType.RawOpenBsd: case LinkType.RawBsdOs: case LinkType.Ipv4: case LinkType.Ipv6:
    case LinkType.LinuxSll: case LinkType.LinuxSll2: case LinkType.Ppp: case LinkType.PppHdlc:
      return true;
    default:
      return linkTypeProtocol(linkType) !== 0;
  }
}

// Tunnels nest; a frame with more layers than this is marked malformed rather than followed.
const MAX_LAYERS = 24;

/**
 * Decode one frame whose captured bytes are buf[off, off + capLen). The frame's metadata
 * (timestamps, lengths, number) is set by the caller before or after; this fills the layers.
 */
export function decodeFrame(d: Dissection, buf: Buffer, off: number, capLen: number, linkType: number): void {
  d.reset();
  d.buf = buf;
  d.frameOff = off;
  d.capLen = capLen;
  d.linkType = linkType;
  const end = off + capLen;
  d.nextEnd = end;
  let next: Proto;
  let steps = 0;
  switch (linkType) {
    case LinkType.Ethernet:
      // Most frames are Ethernet, IPv4 and TCP: those first three steps are taken in a straight
      // line, and the loop below carries on from wherever they leave off.
      next = decodeEthernet(d, off, end);
      steps = 1;
      if (next === Proto.IPv4) {
        next = decodeIPv4(d, d.nextOff, end);
        steps = 2;
        if (next === Proto.Tcp) {
          next = decodeTcp(d, d.nextOff, d.netEnd);
          steps = 3;
          if (next === Proto.None || next === Proto.Data) return;
        }
      }
      break;
    case LinkType.LinuxSll: next = Proto.Sll; d.nextOff = off; break;
    case LinkType.LinuxSll2: next = Proto.Sll2; d.nextOff = off; break;
    case LinkType.Null: next = decodeNull(d, off, end, false); break;
    case LinkType.Loop: next = decodeNull(d, off, end, true); break;
    case LinkType.Ppp: case LinkType.PppHdlc: next = decodePpp(d, off, end); break;
    case LinkType.Raw: case LinkType.RawOpenBsd: case LinkType.RawBsdOs:
      next = rawIpNext(d, off, end); break;
    case LinkType.Ipv4: next = Proto.IPv4; d.nextOff = off; break;
    case LinkType.Ipv6: next = Proto.IPv6; d.nextOff = off; break;
    default:
      // A link type a registered protocol starts (vsock's 271): its decode step takes the frame.
      next = linkTypeProtocol(linkType);
      if (next === Proto.None) return;
      d.nextOff = off;
      break;
  }
  for (let layers = steps; next !== Proto.None; layers++) {
    if (layers === MAX_LAYERS) {
      d.markMalformed(Malformed.Network, next);
      return;
    }
    const p = d.nextOff;
    // Inner layers end where the enclosing IP packet ends, not at the frame's end.
    const limit = d.netOff >= 0 && next !== Proto.IPv4 && next !== Proto.IPv6 ? d.netEnd : end;
    switch (next) {
      case Proto.Eth: next = decodeEthernet(d, p, end); break;
      case Proto.Vlan: next = decodeVlan(d, p, end); break;
      case Proto.Sll: next = decodeSll(d, p, end); break;
      case Proto.Sll2: next = decodeSll2(d, p, end); break;
      case Proto.IPv4: next = decodeIPv4(d, p, d.netOff >= 0 ? d.netEnd : end); break;
      case Proto.IPv6: next = decodeIPv6(d, p, d.netOff >= 0 ? d.netEnd : end); break;
      case Proto.Tcp:
        if (d.tcpOff >= 0) return; // TCP inside TCP is payload, not a header
        next = decodeTcp(d, p, limit); break;
      case Proto.Udp: next = decodeUdp(d, p, limit); break;
      case Proto.Gre: next = decodeGre(d, p, limit); break;
      case Proto.Data: return;
      default:
        if (!isRegistered(next)) return;
        next = decodeRegistered(d, next, p, d.nextEnd < limit ? d.nextEnd : limit);
    }
  }
}
