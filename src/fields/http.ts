// tcpwatch's tls.decryption: what became of each protected record (what the records carry is the
// HTTP and HTTP/2 protocols', src/protocols/http/ and src/protocols/http2/).

import { Dissection } from '../decode/dissection';
import { defineField, FT } from './registry';
import { decryptInfoOf, STATUS_NONE } from '../tls/decrypt-info';
import { RECORD_STATUS_NAMES, RecordStatus } from '../tls/decrypt';

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
  // A record nobody has the keys for says nothing in the tree, as in Wireshark; filters and JSON
  // still tell why it stayed encrypted.
  hiddenAt: (d, i) => { const r = nthProtected(d, i); return r >= 0 && decryptInfoOf(d).status[r] === RecordStatus.NoKeys; },
  text: (d, i) => {
    const info = decryptInfoOf(d);
    const r = nthProtected(d, i);
    if (r < 0) return '';
    const name = RECORD_STATUS_NAMES[info.status[r]];
    return info.reason[r] ? `${name}: ${info.reason[r]}` : name;
  },
});
