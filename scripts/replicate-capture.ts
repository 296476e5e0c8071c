// Make a large capture from a small real one: the template's frames are written again and again,
// each copy with the client port (and, past 60,000 copies, the IPv4 addresses) shifted so that every
// copy is a conversation of its own, and timestamps moved on so time keeps increasing. Used by
// scripts/bench-ui.ts and by anyone who wants a million-packet file to try the UI on.
//
//   node dist/scripts/replicate-capture.js TEMPLATE OUT PACKETS

import { CaptureFileReader } from '../src/capture/file-reader';
import { openCaptureWriter } from '../src/capture/file-writer';
import { CapturedFrame } from '../src/capture/frame';
import { Dissection } from '../src/decode/dissection';
import { decodeFrame } from '../src/decode/decoder';

interface TemplateFrame {
  bytes: Buffer;
  origLen: number;
  /** Time since the template's first frame, in nanoseconds. */
  dtNs: number;
  linkType: number;
  /** Offsets of the port to shift and of the IPv4 addresses (-1 when absent). */
  portOff: number;
  ip4Off: number;
}

const PORT_SPAN = 60000;
const PORT_BASE = 1024;

function loadTemplate(path: string): TemplateFrame[] {
  const reader = new CaptureFileReader(path);
  const f = new CapturedFrame();
  const d = new Dissection();
  const out: TemplateFrame[] = [];
  let t0Sec = -1, t0Nsec = 0;
  while (reader.next(f)) {
    const bytes = Buffer.from(f.buf.subarray(f.off, f.off + f.capLen));
    decodeFrame(d, bytes, 0, bytes.length, f.linkType);
    if (t0Sec < 0) {
      t0Sec = f.tsSec;
      t0Nsec = f.tsNsec;
    }
    // Differences first: seconds since the epoch in nanoseconds would not fit a double exactly.
    const dtNs = (f.tsSec - t0Sec) * 1e9 + (f.tsNsec - t0Nsec);
    let portOff = -1;
    const tOff = d.tcpOff >= 0 ? d.tcpOff : d.udpOff;
    // The ephemeral (higher) port is the client's: shifting it makes a new conversation.
    if (tOff >= 0 && !d.inIcmpError) portOff = d.srcPort >= d.dstPort ? tOff : tOff + 2;
    out.push({ bytes, origLen: f.origLen, dtNs, linkType: f.linkType, portOff, ip4Off: d.netVersion === 4 ? d.netOff : -1 });
  }
  reader.close();
  if (out.length === 0) throw new Error(`${path}: no frames to replicate`);
  return out;
}

/** Write `packets` frames built from `template` to `outPath`; returns the number written. */
export function replicateCapture(templatePath: string, outPath: string, packets: number, startSec = 1700000000): number {
  const tpl = loadTemplate(templatePath);
  const span = tpl[tpl.length - 1].dtNs + 1_000_000; // 1 ms between copies
  const w = openCaptureWriter(outPath, tpl[0].linkType);
  const f = new CapturedFrame();
  const scratch = Buffer.alloc(65536 * 4);
  let written = 0;
  for (let copy = 0; written < packets; copy++) {
    for (let i = 0; i < tpl.length && written < packets; i++) {
      const t = tpl[i];
      const b = t.bytes.length <= scratch.length ? scratch : Buffer.alloc(t.bytes.length);
      t.bytes.copy(b, 0);
      if (t.portOff >= 0) {
        const orig = b.readUInt16BE(t.portOff);
        b.writeUInt16BE(PORT_BASE + ((orig - PORT_BASE + copy) % PORT_SPAN + PORT_SPAN) % PORT_SPAN, t.portOff);
      }
      const wrap = Math.floor(copy / PORT_SPAN);
      if (wrap > 0 && t.ip4Off >= 0) {
        // Third octet of both addresses: keeps the pair distinct once the ports have wrapped.
        b[t.ip4Off + 14] = (b[t.ip4Off + 14] + wrap) & 0xff;
        b[t.ip4Off + 18] = (b[t.ip4Off + 18] + wrap) & 0xff;
      }
      const ns = copy * span + t.dtNs;
      f.buf = b;
      f.off = 0;
      f.capLen = t.bytes.length;
      f.origLen = t.origLen;
      f.tsSec = startSec + Math.floor(ns / 1e9);
      f.tsNsec = ns % 1e9;
      f.linkType = t.linkType;
      f.ifIndex = 0;
      w.write(f);
      written++;
    }
  }
  w.close();
  return written;
}

if (require.main === module) {
  const [template, out, n] = process.argv.slice(2);
  if (!template || !out || !n) {
    process.stderr.write('usage: node dist/scripts/replicate-capture.js TEMPLATE OUT PACKETS\n');
    process.exit(2);
  }
  const t = Date.now();
  const count = replicateCapture(template, out, Number(n));
  process.stdout.write(`${out}: ${count} packets in ${Date.now() - t} ms\n`);
}
