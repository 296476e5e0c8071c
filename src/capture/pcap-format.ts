// The pcap file format (draft-ietf-opsawg-pcap), one definition for what tcpwatch's readers (capture
// files, the remote capture's stream) and writers (-w, the live UI's spool, the spill file) share.

export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** The link type's upper bits carry FCS length information. */
export const PCAP_LINKTYPE_MASK = 0x0fffffff;
/**
 * libpcap's largest snapshot length (MAXIMUM_SNAPLEN): the snapshot length of the files tcpwatch
 * writes, and the largest record a pcap stream from elsewhere may hold.
 */
export const MAXIMUM_SNAPLEN = 262144;

// Magic numbers, as the writer's byte order writes them
const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34; // modified pcap: 8 more bytes per record

/** What a pcap file header's magic number says of the file. */
export interface PcapMagic {
  bigEndian: boolean;
  nanosecond: boolean;
  /** Kuznetzov's modified pcap: 8 more bytes in every record header. */
  modified: boolean;
}

/** The file's byte order and timestamp unit from its first four bytes read big-endian; null when they are no pcap magic number. */
export function pcapMagic(readBigEndian: number): PcapMagic | null {
  const m = readBigEndian >>> 0;
  const bigEndian = m === PCAP_MAGIC_USEC || m === PCAP_MAGIC_NSEC || m === PCAP_MAGIC_KUZNETZOV;
  const magic = bigEndian ? m : (((m & 0xff) << 24) | ((m & 0xff00) << 8) | ((m >>> 8) & 0xff00) | (m >>> 24)) >>> 0;
  if (magic !== PCAP_MAGIC_USEC && magic !== PCAP_MAGIC_NSEC && magic !== PCAP_MAGIC_KUZNETZOV) return null;
  return { bigEndian, nanosecond: magic === PCAP_MAGIC_NSEC, modified: magic === PCAP_MAGIC_KUZNETZOV };
}

/**
 * The file header of every pcap tcpwatch writes, into the first PCAP_GLOBAL_HEADER_LEN bytes of `h`:
 * version 2.4, little-endian, nanosecond timestamps, MAXIMUM_SNAPLEN.
 */
export function writePcapFileHeader(h: Buffer, linkType: number): void {
  h.writeUInt32LE(PCAP_MAGIC_NSEC, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeInt32LE(0, 8); // thiszone
  h.writeUInt32LE(0, 12); // sigfigs
  h.writeUInt32LE(MAXIMUM_SNAPLEN, 16);
  h.writeUInt32LE(linkType, 20);
}
