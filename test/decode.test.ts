// The decoder on literal frames, smoltcp-style: bytes of a real packet, then the values expected.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dissection, Malformed, Proto } from '../src/decode/dissection';
import { decodeFrame } from '../src/decode/decoder';
import { LINKTYPE } from '../src/decode/link';
import { TH_SYN, TH_ACK } from '../src/decode/tcp';
import '../src/fields';
import '../src/protocols';
import { getField } from '../src/fields/registry';
import { formatField } from '../src/fields/format';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Frame 1 of tcpdump's tcp-handshake-nano.pcap (Linux cooked v1): SYN 46656 → 80 with MSS, SACK_PERM, TS, WS.
const SLL_SYN = hex(`
  00 04 02 00 00 00 00 00 00 00 00 00 00 00 08 00
  45 00 00 3c 29 a9 40 00 40 06 db 5f 83 9b d7 45
  89 74 51 5e b6 40 00 50 2f 84 2a cb 00 00 00 00
  a0 02 6a 40 50 c4 00 00 02 04 05 50 04 02 08 0a
  43 6a 03 62 00 00 00 00 01 03 03 07`);

function field(d: Dissection, name: string, i = 0): string {
  const f = getField(name);
  assert.ok(f, name);
  return f.count(d) > i ? formatField(f, d, i) : '';
}

test('Linux cooked SYN: every layer decoded from the original buffer', () => {
  const d = new Dissection();
  decodeFrame(d, SLL_SYN, 0, SLL_SYN.length, LINKTYPE.LINUX_SLL);
  assert.equal(d.malformed, Malformed.None);
  assert.equal(d.sllOff, 0);
  assert.equal(d.ip4Off, 16);
  assert.equal(d.tcpOff, 36);
  assert.equal(d.buf, SLL_SYN, 'no copy: the record points into the caller buffer');
  assert.equal(field(d, 'ip.src'), '131.155.215.69');
  assert.equal(field(d, 'ip.dst'), '137.116.81.94');
  assert.equal(field(d, 'ip.proto'), '6');
  assert.equal(d.srcPort, 46656);
  assert.equal(d.dstPort, 80);
  assert.equal(d.seqRaw, 797190859);
  assert.equal(d.tcpFlags, TH_SYN);
  assert.equal(d.window, 27200);
  assert.equal(d.tcpHdrLen, 40);
  assert.equal(d.payloadLen, 0);
  assert.equal(d.optMss, 1360);
  assert.equal(d.optWscale, 7);
  assert.equal(d.optSackPerm, true);
  assert.equal(d.buf.readUInt32BE(d.optTsOff), 1131021154);
  assert.equal(field(d, 'tcp.flags'), '0x0002');
  assert.equal(field(d, 'tcp.options'), '020405500402080a436a03620000000001030307');
  assert.equal(field(d, 'frame.protocols'), 'sll:ethertype:ip:tcp');
});

test('every truncation of a frame is marked, never thrown, and keeps the layers before it', () => {
  const d = new Dissection();
  for (let len = 0; len < SLL_SYN.length; len++) {
    decodeFrame(d, SLL_SYN, 0, len, LINKTYPE.LINUX_SLL);
    if (len < 16) assert.equal(d.malformed, Malformed.Link, `len ${len}`);
    else if (len < 36) {
      assert.equal(d.malformed, Malformed.Network, `len ${len}`);
      assert.equal(d.sllOff, 0);
    } else if (len < 56) {
      assert.equal(d.malformed, Malformed.Transport, `len ${len}`);
      assert.equal(d.ip4Off, 16, 'IPv4 stays usable');
    } else {
      // The fixed TCP header is there; options cut by the snapshot length are not an error.
      assert.equal(d.tcpOff, 36, `len ${len}`);
      assert.equal(d.srcPort, 46656);
    }
  }
});

test('Ethernet with 802.1ad + 802.1Q tags carrying IPv6/UDP: the service tag is 802.1ad, the customer tag 802.1Q', () => {
  const frame = hex(`
    ff ff ff ff ff ff 00 11 22 33 44 55 88 a8 00 64 81 00 00 c8 86 dd
    60 00 00 00 00 0c 11 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
    20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
    04 d2 14 b4 00 0c 00 00 41 42 43 44`);
  // (to port 5300, which no protocol holds: on 53 the four bytes would be a malformed DNS message)
  const d = new Dissection();
  decodeFrame(d, frame, 0, frame.length, LINKTYPE.ETHERNET);
  assert.equal(d.malformed, Malformed.None);
  // as tshark reads it: eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ipv6:udp
  assert.equal(field(d, 'frame.protocols'), 'eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ipv6:udp');
  assert.equal(field(d, 'ieee8021ad.id'), '100');
  assert.equal(d.vlanCount, 1);
  assert.equal(field(d, 'vlan.id', 0), '200');
  assert.equal(field(d, 'ipv6.src'), '2001:db8::1');
  assert.equal(field(d, 'ipv6.dst'), '2001:db8::2');
  assert.equal(field(d, 'udp.srcport'), '1234');
  assert.equal(field(d, 'udp.dstport'), '5300');
  assert.equal(d.payloadLen, 4);
  assert.equal(field(d, 'eth.src'), '00:11:22:33:44:55');
});

test('IPv6 extension chain: hop-by-hop then fragment header (first fragment) then TCP', () => {
  const tcpHdr = '0050 1f90 00000001 00000000 5002 ffff 0000 0000';
  const frame = hex(`
    60 00 00 00 00 24 00 40 00000000000000000000000000000001 00000000000000000000000000000002
    2c 00 01 04 00 00 00 00
    06 00 00 01 12 34 56 78
    ${tcpHdr}`);
  const d = new Dissection();
  decodeFrame(d, frame, 0, frame.length, LINKTYPE.RAW);
  assert.equal(d.malformed, Malformed.None);
  assert.equal(d.fragmented, true);
  assert.equal(d.ipProto, 6);
  assert.equal(d.tcpOff, 56);
  assert.equal(d.dstPort, 8080);
  assert.equal(field(d, 'ipv6.nxt'), '0');
});

test('IPv4 header length field smaller than 20 or larger than the frame is malformed at the network layer', () => {
  const bad = hex('4400003c000000004006000001020304050607080000000000000000');
  const d = new Dissection();
  decodeFrame(d, bad, 0, bad.length, LINKTYPE.RAW);
  assert.equal(d.malformed, Malformed.Network);
  assert.equal(d.tcpOff, -1);
  const big = hex('4f00003c000000004006000001020304050607080000');
  decodeFrame(d, big, 0, big.length, LINKTYPE.RAW);
  assert.equal(d.malformed, Malformed.Network);
});

test('TCP data offset pointing past the IP payload is malformed, ports still shown', () => {
  const frame = hex('4500002800000000400600000a0000010a000002 1f90 0050 00000001 00000002 f010 ffff 0000 0000');
  const d = new Dissection();
  decodeFrame(d, frame, 0, frame.length, LINKTYPE.RAW);
  assert.equal(d.malformed, Malformed.Transport);
  assert.equal(d.srcPort, 8080);
  assert.equal(d.tcpFlags, TH_ACK);
});

test('BSD loopback in either byte order, and GRE carrying IPv4', () => {
  const ip = '4500001c0000000040110000 7f000001 7f000001 1234 5678 0008 0000';
  const le = hex('02000000' + ip);
  const be = hex('00000002' + ip);
  const d = new Dissection();
  decodeFrame(d, le, 0, le.length, LINKTYPE.NULL);
  assert.equal(d.udpOff, 24);
  decodeFrame(d, be, 0, be.length, LINKTYPE.NULL);
  assert.equal(d.udpOff, 24, 'NULL written by a big-endian host');
  decodeFrame(d, be, 0, be.length, LINKTYPE.LOOP);
  assert.equal(d.udpOff, 24);
  const gre = hex('4500003400000000402f0000 0a000001 0a000002 0000 0800' + ip);
  decodeFrame(d, gre, 0, gre.length, LINKTYPE.RAW);
  assert.ok(d.hasLayer(Proto.Gre));
  assert.equal(field(d, 'ip.src'), '10.0.0.1', 'first occurrence is the outer header');
  assert.equal(field(d, 'udp.srcport'), '4660');
});

// PPP framing (RFC 1661/1662) in front of the IPv4 header of tcpdump's icmp-rfc5837.pcap frame 1,
// cut after the IP header: with address/control, without them, and with a compressed protocol field.
const IP_ICMP_HEADER = hex('45 00 00 f0 e7 20 40 00 fe 01 7a de 0a 04 00 02 0c 04 04 04');

test('PPP: the IPv4 it carries is found with or without address/control and protocol compression', () => {
  for (const [framing, ipAt] of [['ff 03 00 21', 4], ['00 21', 2], ['21', 1], ['ff 03 21', 3]] as const) {
    const frame = Buffer.concat([hex(framing), IP_ICMP_HEADER]);
    const d = new Dissection();
    decodeFrame(d, frame, 0, frame.length, LINKTYPE.PPP);
    assert.equal(d.ip4Off, ipAt, framing);
    assert.equal(field(d, 'ip.src'), '10.4.0.2', framing);
    assert.equal(field(d, 'ip.proto'), '1', framing);
    assert.equal(d.stack[0], Proto.Ppp, framing);
  }
  const d = new Dissection();
  decodeFrame(d, hex('ff 03'), 0, 2, LINKTYPE.PPP);
  assert.equal(d.malformed, Malformed.Link, 'no protocol field at all');
  decodeFrame(d, hex('ff 03 00'), 0, 3, LINKTYPE.PPP);
  assert.equal(d.malformed, Malformed.Link, 'half a protocol field');
});

test('the decoder allocates nothing per frame', () => {
  const d = new Dissection();
  for (let i = 0; i < 1e5; i++) decodeFrame(d, SLL_SYN, 0, SLL_SYN.length, LINKTYPE.LINUX_SLL);
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1e6; i++) decodeFrame(d, SLL_SYN, 0, SLL_SYN.length, LINKTYPE.LINUX_SLL);
  const grown = process.memoryUsage().heapUsed - before;
  // A million frames with one small object each would be tens of MB.
  assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${grown} bytes over 1e6 frames`);
});
