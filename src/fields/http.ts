// HTTP/2 fields under Wireshark's names, for what decrypted TLS carries (src/http/, filled by
// src/tls/decrypt-analyzer.ts; HTTP/1.x is its own protocol, src/protocols/http/); and tcpwatch's tls.decryption, what became of each
// protected record. Values are packet text: printed through the sanitizer like every field.

import { Dissection } from '../decode/dissection';
import { defineField, FT } from './registry';
import { httpInfoOf, Http2Frame } from '../http/http-info';
import { decryptInfoOf, STATUS_NONE } from '../tls/decrypt-info';
import { RECORD_STATUS_NAMES, RecordStatus } from '../tls/decrypt';

const HTTP2_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'DATA', 1: 'HEADERS', 2: 'PRIORITY', 3: 'RST_STREAM', 4: 'SETTINGS', 5: 'PUSH_PROMISE', 6: 'PING', 7: 'GOAWAY',
  8: 'WINDOW_UPDATE', 9: 'CONTINUATION',
};

// ---- HTTP/2 ----

function frames(d: Dissection): Http2Frame[] {
  return httpInfoOf(d).http2;
}

defineField({
  name: 'http2', label: 'HyperText Transfer Protocol 2', type: FT.None, proto: 'http2',
  count: (d) => (frames(d).length > 0 ? 1 : 0),
  text: () => 'HyperText Transfer Protocol 2',
});
defineField({ name: 'http2.stream', label: 'Stream', type: FT.None, proto: 'http2', count: (d) => frames(d).length });
defineField({ name: 'http2.length', valueBits: 24, label: 'Length', type: FT.UInt, proto: 'http2', count: (d) => frames(d).length, num: (d, i) => frames(d)[i]?.length ?? 0 });
defineField({
  name: 'http2.type', valueBits: 8, label: 'Type', type: FT.UInt, proto: 'http2', valueNames: HTTP2_TYPE_NAMES,
  count: (d) => frames(d).length, num: (d, i) => frames(d)[i]?.type ?? 0,
});
defineField({ name: 'http2.flags', valueBits: 8, label: 'Flags', type: FT.Hex, hexDigits: 2, proto: 'http2', count: (d) => frames(d).length, num: (d, i) => frames(d)[i]?.flags ?? 0 });
defineField({ name: 'http2.streamid', valueBits: 32, label: 'Stream Identifier', type: FT.UInt, proto: 'http2', count: (d) => frames(d).length, num: (d, i) => frames(d)[i]?.streamId ?? 0 });

/** The i-th decoded header of the frame, over all its HTTP/2 frames in order. */
function nthHeader(d: Dissection, i: number): [string, string] | null {
  for (const f of frames(d)) {
    if (f.headers === null) continue;
    if (i < f.headers.length) return f.headers[i];
    i -= f.headers.length;
  }
  return null;
}

function headerCount(d: Dissection): number {
  let n = 0;
  for (const f of frames(d)) if (f.headers !== null) n += f.headers.length;
  return n;
}

defineField({ name: 'http2.header.name', label: 'Name', type: FT.String, proto: 'http2', count: headerCount, text: (d, i) => nthHeader(d, i)?.[0] ?? '' });
defineField({ name: 'http2.header.value', label: 'Value', type: FT.String, proto: 'http2', count: headerCount, text: (d, i) => nthHeader(d, i)?.[1] ?? '' });

// ---- decryption (tcpwatch) ----

function protectedRecords(d: Dissection): number {
  const info = decryptInfoOf(d);
  let n = 0;
  for (let r = 0; r < info.count; r++) if (info.status[r] !== STATUS_NONE && info.status[r] !== RecordStatus.Plaintext) n++;
  return n;
}

function nthProtected(d: Dissection, i: number): number {
  const info = decryptInfoOf(d);
  for (let r = 0; r < info.count; r++) {
    if (info.status[r] === STATUS_NONE || info.status[r] === RecordStatus.Plaintext) continue;
    if (i === 0) return r;
    i--;
  }
  return -1;
}

defineField({
  name: 'tls.decryption', label: 'Decryption', type: FT.String, proto: 'tls',
  count: protectedRecords,
  text: (d, i) => {
    const info = decryptInfoOf(d);
    const r = nthProtected(d, i);
    if (r < 0) return '';
    const name = RECORD_STATUS_NAMES[info.status[r]];
    return info.reason[r] ? `${name}: ${info.reason[r]}` : name;
  },
});
