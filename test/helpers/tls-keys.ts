// The corpus captures that come with a key log (tls-keys/, SOURCES.md): each capture and the key
// log that decrypts it, as paths under the corpus's tls-keys/ folder.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface KeyedCapture {
  pcap: string;
  keylog: string;
  /** ARIA suites: tshark 4.0 cannot decrypt them (no ARIA in its crypto library), tcpwatch can. */
  aria: boolean;
}

/** Every keyed capture: the snet ones with a `.decrypted.tsv` (key log `STEM.txt` or `STEM.keylog`), the key-update one, and both illustrated connections. */
export function keyedCaptures(corpus: string): KeyedCapture[] {
  const keys = join(corpus, 'tls-keys');
  const expected = join(corpus, 'expected', 'tls-keys', 'snet');
  const out: KeyedCapture[] = [];
  for (const f of readdirSync(expected).sort()) {
    if (!f.endsWith('.decrypted.tsv')) continue;
    const pcap = f.slice(0, -'.decrypted.tsv'.length);
    const stem = pcap.replace(/\.pcap$/, '');
    const keylog = [`${stem}.txt`, `${stem}.keylog`].find((k) => existsSync(join(keys, 'snet', k)));
    if (keylog === undefined) continue;
    out.push({ pcap: `snet/${pcap}`, keylog: `snet/${keylog}`, aria: pcap.includes('ARIA') });
  }
  out.push({ pcap: 'snet/tls1.3_keyupdates_aes256.pcap', keylog: 'snet/log.txt', aria: false });
  out.push({ pcap: 'illustrated-tls12/capture.pcap', keylog: 'illustrated-tls12/keylog.txt', aria: false });
  out.push({ pcap: 'illustrated-tls13/capture.pcap', keylog: 'illustrated-tls13/keylog.txt', aria: false });
  return out;
}
