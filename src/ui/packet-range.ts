// A range of packet numbers as Wireshark's Export Specified Packets takes it: numbers and spans
// separated by commas, "1-10,15,20-": "20-" runs to the last packet, "-5" from the first. Packet
// numbers count from 1, as the No. column shows them.

export interface PacketRange {
  /** The spans, each [first, last] as packet numbers, last clamped to the packets there are. */
  spans: [number, number][];
}

/** Read `text` against a capture of `count` packets: the range, or the mistake in one line. */
export function parsePacketRange(text: string, count: number): PacketRange | string {
  const spans: [number, number][] = [];
  const parts = text.split(',');
  // Bounded by the text: a part costs at least one character.
  for (const raw of parts) {
    const part = raw.trim();
    const m = /^(\d*)\s*(-?)\s*(\d*)$/.exec(part);
    if (part === '' || m === null || (m[1] === '' && m[3] === '') || (m[2] === '' && m[3] !== '')) {
      return `"${part}" is not a packet number or span (1-10,15,20-)`;
    }
    const first = m[1] === '' ? 1 : Number(m[1]);
    const last = m[2] === '' ? first : m[3] === '' ? count : Number(m[3]);
    if (first < 1) return `"${part}": packet numbers start at 1`;
    if (last < first) return `"${part}" runs backwards`;
    if (first > count) return `"${part}": there are ${count} packets`;
    spans.push([first, Math.min(last, count)]);
  }
  return { spans };
}

/** The packets a range holds, as store indexes (packet number - 1), in order and each once. */
export function packetsInRange(range: PacketRange, count: number): number[] {
  const keep = new Uint8Array(count);
  for (const [a, b] of range.spans) keep.fill(1, a - 1, b);
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (keep[i] !== 0) out.push(i);
  return out;
}
