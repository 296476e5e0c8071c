#!/usr/bin/env node
// A stand-in for ssh (tcpwatch --ssh-command "node fake-remote.js MODE") that plays a hostile or
// broken remote side: it ignores ssh's arguments, says tcpdump's "listening" line, writes a pcap
// stream of a few whole records and then what MODE asks for, and waits for its input to close.
'use strict';
const mode = process.argv[2];
const head = Buffer.alloc(24);
head.writeUInt32LE(0xa1b2c3d4, 0); head.writeUInt16LE(2, 4); head.writeUInt16LE(4, 6);
head.writeUInt32LE(262144, 16); head.writeUInt32LE(1, 20);
const rec = (n) => {
  const frame = Buffer.alloc(60, 0);
  frame.writeUInt16BE(0x0800, 12); // an Ethernet frame with an IPv4 ethertype and a zeroed header
  const r = Buffer.alloc(16);
  r.writeUInt32LE(1700000000 + n, 0); r.writeUInt32LE(0, 4); r.writeUInt32LE(frame.length, 8); r.writeUInt32LE(frame.length, 12);
  return Buffer.concat([r, frame]);
};
process.stderr.write('tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n');
const parts = [head, rec(1), rec(2), rec(3)];
if (mode === 'huge') {
  const bad = Buffer.alloc(16);
  bad.writeUInt32LE(1700000004, 0); bad.writeUInt32LE(0x7fffffff, 8); bad.writeUInt32LE(0x7fffffff, 12);
  parts.push(bad, Buffer.alloc(1000, 0x41));
} else if (mode === 'cut') {
  parts.push(rec(4).subarray(0, 30));
}
process.stdout.write(Buffer.concat(parts), () => {
  if (mode === 'cut') process.exit(255);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
