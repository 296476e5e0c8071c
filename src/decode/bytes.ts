// Big-endian reads for the hot path. Buffer's readUInt16BE/readUInt32BE validate their arguments on
// every call; the decoders check lengths once per layer, so plain indexing is enough and V8 inlines it.

export function u16(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u32(b: Buffer, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
