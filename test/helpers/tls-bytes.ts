// Byte builders for TLS messages in tests (RFC 8446 §4, §5): records, handshake messages, Client
// and Server Hello bodies with the usual extensions.

export const u16 = (v: number): Buffer => Buffer.from([v >> 8, v & 255]);
export const u24 = (v: number): Buffer => Buffer.from([(v >> 16) & 255, (v >> 8) & 255, v & 255]);
export const vec8 = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length]), b]);
export const vec16 = (b: Buffer): Buffer => Buffer.concat([u16(b.length), b]);
export const record = (type: number, body: Buffer, version = 0x0303): Buffer => Buffer.concat([Buffer.from([type]), u16(version), u16(body.length), body]);
export const handshake = (type: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([type]), u24(body.length), body]);
export const ext = (type: number, data: Buffer): Buffer => Buffer.concat([u16(type), vec16(data)]);
export const u16list = (vals: number[]): Buffer => Buffer.concat(vals.map(u16));

export const sniExt = (name: string): Buffer => ext(0, vec16(Buffer.concat([Buffer.from([0]), vec16(Buffer.from(name))])));
export const alpnExt = (names: string[]): Buffer => ext(16, vec16(Buffer.concat(names.map((n) => vec8(Buffer.from(n))))));

export function clientHelloBody(o: { exts?: Buffer[]; ciphers?: number[]; extBlock?: Buffer; raw?: Buffer } = {}): Buffer {
  if (o.raw) return o.raw;
  const ciphers = o.ciphers ?? [0x1301, 0x1302, 0xc02b];
  const exts = o.extBlock ?? vec16(Buffer.concat(o.exts ?? [
    sniExt('example.com'), alpnExt(['h2', 'http/1.1']),
    ext(43, vec8(u16list([0x0304, 0x0303]))), ext(10, vec16(u16list([0x001d, 0x0017]))),
    ext(13, vec16(u16list([0x0403, 0x0804]))), ext(45, vec8(Buffer.from([1]))),
    ext(51, vec16(Buffer.concat([u16(0x001d), vec16(Buffer.alloc(32, 7))]))),
  ]));
  return Buffer.concat([u16(0x0303), Buffer.alloc(32, 0x11), vec8(Buffer.alloc(32, 0x22)), vec16(u16list(ciphers)), vec8(Buffer.from([0])), exts]);
}

export function serverHelloBody(o: { version13?: boolean; cipher?: number; random?: Buffer } = {}): Buffer {
  const exts = o.version13 === false ? Buffer.alloc(0) : vec16(Buffer.concat([
    ext(43, u16(0x0304)), ext(51, Buffer.concat([u16(0x001d), vec16(Buffer.alloc(32, 9))])),
  ]));
  return Buffer.concat([u16(0x0303), o.random ?? Buffer.alloc(32, 0x33), vec8(Buffer.alloc(32, 0x22)), u16(o.cipher ?? 0x1301), Buffer.from([0]), exts]);
}

export const clientHello = (o = {}): Buffer => record(22, handshake(1, clientHelloBody(o)), 0x0301);
