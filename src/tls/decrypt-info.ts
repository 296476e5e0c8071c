// Per-frame results of TLS decryption, parallel to the records of d.tls (src/tls/tls-info.ts): what
// became of each record, its inner content type, its plaintext. Filled by src/tls/decrypt-analyzer.ts
// after the TLS dissector; read by fields, the details tree, follow-stream and the HTTP dissectors.
// Kept beside the Dissection (one reused object per Dissection) so the dissector's record stays its own.

import { Dissection, Slot } from '../decode/dissection';
import { AppProto, MAX_TLS_RECORDS } from './tls-info';
import { RecordStatus } from './decrypt';
import { ContentType } from './records';

/** No decryption result: the record is not one the decryptor saw (SSLv2, or decryption is off). */
export const STATUS_NONE = 255;

const EMPTY = Buffer.alloc(0);

export class TlsDecryptInfo {
  /** Records described (equals d.tls.recordCount when decryption ran on this frame, else 0). */
  count = 0;
  /** RecordStatus per record, or STATUS_NONE. */
  readonly status = new Uint8Array(MAX_TLS_RECORDS).fill(STATUS_NONE);
  /** Content type after decryption (TLS 1.3: the inner type). */
  readonly innerType = new Uint8Array(MAX_TLS_RECORDS);
  /** Plaintext of decrypted records (owned buffers that live as long as the capture's decryption state). */
  readonly plain: Buffer[] = new Array<Buffer>(MAX_TLS_RECORDS).fill(EMPTY);
  /** Why a record stays encrypted or failed; '' otherwise. */
  readonly reason: string[] = new Array<string>(MAX_TLS_RECORDS).fill('');
  /** Negotiated version and cipher suite of the connection (0 / -1 until known). */
  version = 0;
  cipherSuite = -1;
  /**
   * The Protocol and Info columns when decrypted records carried HTTP or HTTP/2 (composed by the
   * decryption stage in record order, as tshark's dissectors write them); '' when TLS's own stand.
   */
  columnProtocol = '';
  columnInfo = '';
  /** What the connection's decrypted application data turned out to carry (AppProto.None while unknown). */
  appProto: AppProto = AppProto.None;

  reset(): void {
    this.appProto = AppProto.None;
    this.columnProtocol = '';
    this.columnInfo = '';
    for (let i = 0; i < this.count; i++) {
      this.status[i] = STATUS_NONE;
      this.plain[i] = EMPTY;
      this.reason[i] = '';
    }
    this.count = 0;
    this.version = 0;
    this.cipherSuite = -1;
  }

  /** Whether record r was decrypted and verified. */
  decrypted(r: number): boolean {
    return r < this.count && this.status[r] === RecordStatus.Decrypted;
  }

  /**
   * The plaintext record r hands the protocol above TLS (application data, decrypted and not
   * empty), or null: what Follow TLS Stream shows, record by record, as tshark's follow,tls.
   */
  applicationData(r: number): Buffer | null {
    return this.decrypted(r) && this.innerType[r] === ContentType.ApplicationData && this.plain[r].length > 0 ? this.plain[r] : null;
  }

  /** Whether any record of the frame was decrypted to some plaintext (tshark's follow,tls names its first such frame's sender node 0). */
  anyPlaintext(): boolean {
    for (let r = 0; r < this.count; r++) if (this.status[r] === RecordStatus.Decrypted && this.plain[r].length > 0) return true;
    return false;
  }

  /** Number of decrypted records of content type `type` (e.g. 23 for application data). */
  countDecrypted(type: number): number {
    let n = 0;
    for (let r = 0; r < this.count; r++) if (this.status[r] === RecordStatus.Decrypted && this.innerType[r] === type) n++;
    return n;
  }

  /** Index of the i-th decrypted record of content type `type`, or -1. */
  nthDecrypted(type: number, i: number): number {
    for (let r = 0; r < this.count; r++) {
      if (this.status[r] === RecordStatus.Decrypted && this.innerType[r] === type) {
        if (i === 0) return r;
        i--;
      }
    }
    return -1;
  }
}

const infos = new Slot(() => new TlsDecryptInfo());

/** The decryption results that belong with this Dissection (one reused object per Dissection). */
export function decryptInfoOf(d: Dissection): TlsDecryptInfo {
  return infos.of(d);
}

/** Inner content type of record r of this frame when it was decrypted, else -1 (for the dissector's content_type field). */
export function innerContentType(d: Dissection, r: number): number {
  const i = infos.peek(d);
  return i !== undefined && i.decrypted(r) ? i.innerType[r] : -1;
}
