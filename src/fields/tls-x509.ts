// X.509 certificates (RFC 5280) and Distinguished Names inside TLS messages, laid out as Wireshark
// 4.0's x509af, x509if, x509sat, x509ce, pkcs1 and pkix1implicit dissectors show them under the
// TLS Certificate and Certificate Request messages. Walked with the bounded DER reader of
// src/tls/der.ts: an element that does not fit ends the walk of its container, nothing throws.

import type { TlsLayout } from './tls-layout';
import { FT } from './registry';
import { Tag, Tlv, integerValue, oidText } from '../tls/der';

/** Names Wireshark gives the OIDs certificates usually carry (its oid table). */
const OID_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption', '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption', '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption', '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption', '1.2.840.113549.1.1.10': 'id-RSASSA-PSS',
  '1.2.840.10045.2.1': 'id-ecPublicKey', '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256', '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512', '1.2.840.10045.3.1.7': 'secp256r1', '1.3.132.0.34': 'secp384r1', '1.3.132.0.35': 'secp521r1',
  '1.2.840.10040.4.1': 'id-dsa', '1.2.840.10040.4.3': 'id-dsa-with-sha1', '2.16.840.1.101.3.4.3.2': 'id-dsa-with-sha256', '1.3.101.112': 'id-Ed25519',
  '2.5.4.3': 'id-at-commonName', '2.5.4.4': 'id-at-surname', '2.5.4.5': 'id-at-serialNumber', '2.5.4.6': 'id-at-countryName', '2.5.4.7': 'id-at-localityName',
  '2.5.4.8': 'id-at-stateOrProvinceName', '2.5.4.9': 'id-at-streetAddress', '2.5.4.10': 'id-at-organizationName', '2.5.4.11': 'id-at-organizationalUnitName',
  '2.5.4.12': 'id-at-title', '2.5.4.15': 'id-at-businessCategory', '2.5.4.17': 'id-at-postalCode', '2.5.4.42': 'id-at-givenName',
  '1.2.840.113549.1.9.1': 'pkcs-9-at-emailAddress', '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionOfIncorporationLocalityName',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionOfIncorporationStateOrProvinceName', '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionOfIncorporationCountryName',
  '2.5.29.14': 'id-ce-subjectKeyIdentifier', '2.5.29.15': 'id-ce-keyUsage', '2.5.29.17': 'id-ce-subjectAltName', '2.5.29.18': 'id-ce-issuerAltName',
  '2.5.29.19': 'id-ce-basicConstraints', '2.5.29.31': 'id-ce-cRLDistributionPoints', '2.5.29.32': 'id-ce-certificatePolicies',
  '2.5.29.35': 'id-ce-authorityKeyIdentifier', '2.5.29.37': 'id-ce-extKeyUsage', '1.3.6.1.5.5.7.1.1': 'id-pe-authorityInfoAccess',
  '1.3.6.1.4.1.11129.2.4.2': 'SignedCertificateTimestampList', '1.3.6.1.5.5.7.3.1': 'id-kp-serverAuth', '1.3.6.1.5.5.7.3.2': 'id-kp-clientAuth',
  '1.3.6.1.5.5.7.48.1': 'id-ad-ocsp', '1.3.6.1.5.5.7.48.2': 'id-ad-caIssuers', '1.3.6.1.5.5.7.2.1': 'id-qt-cps', '1.3.6.1.5.5.7.2.2': 'id-qt-unotice',
  '1.3.6.1.4.1.311.21.7': 'szOID_CERTIFICATE_TEMPLATE', '1.3.6.1.4.1.311.21.10': 'szOID_APPLICATION_CERT_POLICIES', '1.3.6.1.4.1.311.21.1': 'szOID_CERTSRV_CA_VERSION',
};

function oidName(oid: string): string {
  const n = OID_NAMES[oid];
  return n === undefined ? oid : `${oid} (${n})`;
}

/** The x509 fields the layout uses: label and type; values come from the layout. */
export interface X509Field {
  label: string;
  type: FT;
  bits?: 8 | 16 | 24 | 32 | 64;
  names?: Readonly<Record<number, string>>;
  bool?: number;
  /** tshark's type where `type` does not say it (an object identifier). */
  ftype?: 'FT_OID';
  /** The node's text is its whole line (`issuer: rdnSequence (0)`), the value a count or a choice. */
  headed?: boolean;
}
export const X509_FIELDS: Record<string, X509Field> = {};
const field = (name: string, label: string, type: FT = FT.None, bits?: 8 | 16 | 24 | 32 | 64, names?: Readonly<Record<number, string>>): void => {
  X509_FIELDS[name] = { label, type, bits, names };
};
// A SEQUENCE OF is worth the number of its items and a CHOICE the index of the alternative taken,
// as Wireshark's ASN.1 dissectors give them (FT_UINT32).
const SEQUENCE_OF_OR_CHOICE = [
  'x509af.issuer', 'x509af.subject', 'x509if.rdnSequence', 'x509af.rdnSequence', 'x509if.RDNSequence_item', 'x509sat.DirectoryString',
  'x509af.notBefore', 'x509af.notAfter', 'pkcs1.ECParameters', 'x509af.extensions', 'x509ce.KeyPurposeIDs', 'x509ce.GeneralNames',
  'x509ce.GeneralName', 'x509ce.CRLDistPointsSyntax', 'x509ce.distributionPoint', 'x509ce.fullName', 'x509ce.CertificatePoliciesSyntax',
  'x509ce.policyQualifiers', 'pkix1implicit.explicitText', 'pkix1implicit.AuthorityInfoAccessSyntax', 'pkix1implicit.accessLocation',
];
const OBJECT_IDENTIFIERS = [
  'x509af.algorithm.id', 'x509if.oid', 'pkcs1.namedCurve', 'x509af.extension.id', 'x509ce.KeyPurposeId', 'x509ce.policyIdentifier', 'x509ce.id',
  'pkix1implicit.accessMethod', 'x509ce.templateID', 'pkcs1.fieldType',
];
const SIGNED_INTEGERS = ['x509af.version', 'pkcs1.publicExponent', 'x509ce.templateMajorVersion', 'x509ce.templateMinorVersion', 'x509sat.Integer', 'pkcs1.version', 'pkcs1.cofactor'];
for (const [name, label] of [
  ['x509af.signedCertificate_element', 'signedCertificate'], ['x509af.signature_element', 'signature'], ['x509af.issuer', 'issuer'],
  ['x509af.subject', 'subject'], ['x509if.rdnSequence', 'rdnSequence'], ['x509af.rdnSequence', 'rdnSequence'],
  ['x509if.RDNSequence_item', 'RDNSequence item'], ['x509if.RelativeDistinguishedName_item_element', 'RelativeDistinguishedName item'],
  ['x509sat.DirectoryString', 'DirectoryString'], ['x509af.validity_element', 'validity'], ['x509af.notBefore', 'notBefore'],
  ['x509af.notAfter', 'notAfter'], ['x509af.subjectPublicKeyInfo_element', 'subjectPublicKeyInfo'], ['x509af.algorithm_element', 'algorithm'],
  ['pkcs1.ECParameters', 'ECParameters'], ['x509af.DSS_Params_element', 'DSS-Params'], ['x509af.extensions', 'extensions'],
  ['x509af.Extension_element', 'Extension'], ['x509ce.KeyPurposeIDs', 'KeyPurposeIDs'], ['x509ce.GeneralNames', 'GeneralNames'],
  ['x509ce.GeneralName', 'GeneralName'], ['x509ce.BasicConstraintsSyntax_element', 'BasicConstraintsSyntax'],
  ['x509ce.AuthorityKeyIdentifier_element', 'AuthorityKeyIdentifier'], ['x509ce.CRLDistPointsSyntax', 'CRLDistPointsSyntax'],
  ['x509ce.DistributionPoint_element', 'DistributionPoint'], ['x509ce.distributionPoint', 'distributionPoint'], ['x509ce.fullName', 'fullName'],
  ['x509ce.CertificatePoliciesSyntax', 'CertificatePoliciesSyntax'], ['x509ce.PolicyInformation_element', 'PolicyInformation'],
  ['x509ce.policyQualifiers', 'policyQualifiers'], ['x509ce.PolicyQualifierInfo_element', 'PolicyQualifierInfo'],
  ['pkix1implicit.UserNotice_element', 'UserNotice'], ['pkix1implicit.explicitText', 'explicitText'],
  ['pkix1implicit.AuthorityInfoAccessSyntax', 'AuthorityInfoAccessSyntax'], ['pkix1implicit.AccessDescription_element', 'AccessDescription'],
  ['pkix1implicit.accessLocation', 'accessLocation'], ['x509ce.CertificateTemplate_element', 'CertificateTemplate'],
  ['x509af.algorithmIdentifier_element', 'algorithmIdentifier'], ['_text.tls.sct', 'Signed Certificate Timestamp'],
]) field(name, label);
for (const [name, label] of [
  ['x509af.algorithm.id', 'Algorithm Id'], ['x509if.oid', 'Object Id'], ['pkcs1.namedCurve', 'namedCurve'], ['x509af.extension.id', 'Extension Id'],
  ['x509ce.KeyPurposeId', 'KeyPurposeId'], ['x509ce.policyIdentifier', 'policyIdentifier'], ['x509ce.id', 'Id'],
  ['pkix1implicit.accessMethod', 'accessMethod'], ['x509ce.templateID', 'templateID'],
  ['x509sat.uTF8String', 'uTF8String'], ['x509sat.printableString', 'printableString'], ['x509sat.teletexString', 'teletexString'],
  ['x509sat.bmpString', 'bmpString'], ['x509sat.universalString', 'universalString'], ['x509sat.CountryName', 'CountryName'],
  ['x509sat.PrintableString', 'PrintableString'], ['x509af.utcTime', 'utcTime'], ['x509af.generalizedTime', 'generalizedTime'],
  ['x509ce.dNSName', 'dNSName'], ['x509ce.uniformResourceIdentifier', 'uniformResourceIdentifier'], ['x509ce.rfc822Name', 'rfc822Name'],
  ['pkix1explicit.DirectoryString', 'DirectoryString'], ['pkix1implicit.bmpString', 'bmpString'], ['pkix1implicit.utf8String', 'utf8String'],
  ['pkix1implicit.visibleString', 'visibleString'],
]) field(name, label, FT.String);
for (const [name, label] of [
  ['x509af.serialNumber', 'serialNumber'], ['pkcs1.modulus', 'modulus'], ['x509af.p', 'p'], ['x509af.q', 'q'], ['x509af.g', 'g'],
  ['x509af.subjectPublicKey', 'subjectPublicKey'], ['x509af.encrypted', 'encrypted'], ['x509ce.KeyUsage', 'KeyUsage'],
  ['x509ce.SubjectKeyIdentifier', 'SubjectKeyIdentifier'], ['x509ce.keyIdentifier', 'keyIdentifier'], ['x509ce.iPAddress', 'iPAddress'],
  ['tls.sct.sct_logid', 'Log ID'], ['tls.sct.sct_signature', 'Signature'],
]) field(name, label, FT.Bytes);
for (const [name, label] of [
  ['x509af.version', 'version'], ['pkcs1.publicExponent', 'publicExponent'], ['x509ce.templateMajorVersion', 'templateMajorVersion'],
  ['x509ce.templateMinorVersion', 'templateMinorVersion'], ['x509sat.Integer', 'Integer'],
]) field(name, label, FT.UInt, 32);
field('x509af.critical', 'critical', FT.Bool, 8);
field('ber.bitstring.padding', 'Padding', FT.UInt, 8);
field('x509ce.pathLenConstraint', 'pathLenConstraint', FT.UInt, 64);
field('pkcs1.specifiedCurve_element', 'specifiedCurve');
field('pkcs1.fieldID_element', 'fieldID');
field('pkcs1.curve_element', 'curve');
field('pkcs1.fieldType', 'fieldType', FT.String);
for (const [name, label] of [['ber.64bit_uint_as_bytes', '64bit_uint_as_bytes'], ['pkcs1.a', 'a'], ['pkcs1.b', 'b'], ['pkcs1.seed', 'seed'], ['pkcs1.base', 'base']]) field(name, label, FT.Bytes);
field('pkcs1.version', 'version', FT.UInt, 32);
field('pkcs1.cofactor', 'cofactor', FT.UInt, 32);
field('x509ce.cA', 'cA', FT.Bool, 8);
field('tls.sct.scts_length', 'Serialized SCT List Length', FT.UInt, 16);
field('tls.sct.sct_length', 'Serialized SCT Length', FT.UInt, 16);
field('tls.sct.sct_version', 'SCT Version', FT.UInt, 8);
field('tls.sct.sct_timestamp', 'Timestamp', FT.AbsTime);
field('tls.sct.sct_extensions_length', 'Extensions length', FT.UInt, 16);
field('tls.sct.sct_signature_length', 'Signature Length', FT.UInt, 16);
export const KEY_USAGE_BITS = ['digitalSignature', 'contentCommitment', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];
for (const bit of KEY_USAGE_BITS) field(`x509ce.KeyUsage.${bit}`, bit, FT.Bool, 8);

for (const name of SEQUENCE_OF_OR_CHOICE) Object.assign(X509_FIELDS[name], { type: FT.UInt, bits: 32, headed: true });
for (const name of OBJECT_IDENTIFIERS) X509_FIELDS[name].ftype = 'FT_OID';
for (const name of SIGNED_INTEGERS) X509_FIELDS[name].type = FT.Int;
// A GeneralizedTime is an absolute time (its seconds since the epoch); a UTCTime stays the text it is.
X509_FIELDS['x509af.generalizedTime'].type = FT.AbsTime;

/** A UTCTime (YYMMDDHHMMSSZ, years 50–99 in the 1900s, RFC 5280 §4.1.2.5.1) as Wireshark writes it: `2025-06-21 18:59:49 (UTC)`. */
function utcTimeText(text: string): string {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return text;
  return `${+m[1] >= 50 ? '19' : '20'}${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]} (UTC)`;
}

/** Seconds since the epoch of a GeneralizedTime (YYYYMMDDHHMMSS[.fff]Z, RFC 5280 §4.1.2.5.2), 0 when it reads otherwise. */
function generalizedTimeSeconds(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text);
  return m === null ? 0 : Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
}

/** One walk's tools: the layout and the buffer the DER lies in. */
class Der {
  constructor(readonly l: TlsLayout, readonly buf: Buffer) {}

  /** The TLV at `off` inside [.., end), or null. */
  at(off: number, end: number): Tlv | null {
    const t = new Tlv();
    return t.read(this.buf, off, end) ? t : null;
  }

  /** The TLVs inside `t`, in order, up to the first that does not fit. */
  children(t: Tlv): Tlv[] {
    const out: Tlv[] = [];
    for (let p = t.body; p < t.end;) {
      const c = this.at(p, t.end);
      if (c === null) break;
      out.push(c);
      p = c.end;
    }
    return out;
  }

  node(name: string, parent: number, t: Tlv, num = 0, text = ''): number {
    return this.l.add(name, parent, this.buf, t.start, t.end - t.start, num, text);
  }

  /** A node over the element's contents: a value, or a SEQUENCE OF / SET OF, which Wireshark shows without its header. */
  value(name: string, parent: number, t: Tlv, num = 0, text = ''): number {
    return this.l.add(name, parent, this.buf, t.body, t.len, num, text);
  }

  oid(name: string, parent: number, t: Tlv): string {
    const oid = t.tag === Tag.Oid ? oidText(this.buf, t.body, t.len) : '';
    this.l.add(name, parent, this.buf, t.body, t.len, 0, oidName(oid));
    return oid;
  }

  str(t: Tlv): string {
    if (t.tag === Tag.BmpString) {
      let s = '';
      for (let i = 0; i + 1 < t.len; i += 2) s += String.fromCharCode(this.buf.readUInt16BE(t.body + i));
      return s;
    }
    return this.buf.toString(t.tag === Tag.TeletexString ? 'latin1' : 'utf8', t.body, t.end);
  }
}

export function layoutCertificate(l: TlsLayout, parent: number, buf: Buffer, off: number, len: number): void {
  const x = new Der(l, buf);
  const cert = x.at(off, off + len);
  if (cert === null || cert.tag !== Tag.Sequence) return;
  const [tbs, alg, sig] = x.children(cert);
  if (tbs === undefined || tbs.tag !== Tag.Sequence) return;
  const signed = x.node('x509af.signedCertificate_element', parent, tbs);
  tbsCertificate(x, signed, tbs);
  if (alg !== undefined && alg.tag === Tag.Sequence) algorithm(x, 'x509af.algorithmIdentifier_element', parent, alg, false);
  if (sig !== undefined && sig.tag === Tag.BitString && sig.len >= 1) {
    l.add('ber.bitstring.padding', parent, buf, sig.body, 1, buf[sig.body]);
    l.add('x509af.encrypted', parent, buf, sig.body + 1, sig.len - 1);
  }
}

function tbsCertificate(x: Der, signed: number, tbs: Tlv): void {
  const parts = x.children(tbs);
  let i = 0;
  if (parts[i]?.tag === 0xa0) {
    const v = x.at(parts[i].body, parts[i].end);
    if (v !== null && v.tag === Tag.Integer) x.value('x509af.version', signed, v, integerValue(x.buf, v.body, v.len));
    i++;
  }
  if (parts[i]?.tag === Tag.Integer) x.value('x509af.serialNumber', signed, parts[i++]);
  if (parts[i]?.tag === Tag.Sequence) algorithm(x, 'x509af.signature_element', signed, parts[i++], false);
  if (parts[i]?.tag === Tag.Sequence) {
    const issuer = x.node('x509af.issuer', signed, parts[i], 0, 'issuer: rdnSequence (0)');
    rdnSequence(x, 'x509if.rdnSequence', issuer, parts[i++]);
  }
  if (parts[i]?.tag === Tag.Sequence) {
    const validity = x.node('x509af.validity_element', signed, parts[i]);
    const times = x.children(parts[i++]);
    for (let k = 0; k < 2 && k < times.length; k++) {
      const t = times[k];
      const utc = t.tag === Tag.UtcTime;
      const holder = x.node(k === 0 ? 'x509af.notBefore' : 'x509af.notAfter', validity, t, utc ? 0 : 1, `${k === 0 ? 'notBefore' : 'notAfter'}: ${utc ? 'utcTime (0)' : 'generalizedTime (1)'}`);
      if (utc) x.value('x509af.utcTime', holder, t, 0, utcTimeText(x.buf.toString('latin1', t.body, t.body + t.len)));
      else x.value('x509af.generalizedTime', holder, t, generalizedTimeSeconds(x.buf.toString('latin1', t.body, t.body + t.len)), '');
    }
  }
  if (parts[i]?.tag === Tag.Sequence) {
    const subject = x.node('x509af.subject', signed, parts[i], 0, 'subject: rdnSequence (0)');
    rdnSequence(x, 'x509af.rdnSequence', subject, parts[i++]);
  }
  if (parts[i]?.tag === Tag.Sequence) subjectPublicKeyInfo(x, signed, parts[i++]);
  for (; i < parts.length; i++) {
    if (parts[i].tag !== 0xa3) continue;
    const seq = x.at(parts[i].body, parts[i].end);
    if (seq === null || seq.tag !== Tag.Sequence) continue;
    const list = x.children(seq);
    const exts = x.value('x509af.extensions', signed, seq, list.length, `extensions: ${list.length} item${list.length === 1 ? '' : 's'}`);
    for (const e of list) if (e.tag === Tag.Sequence) extension(x, exts, e);
  }
}

function algorithm(x: Der, name: string, parent: number, t: Tlv, publicKey: boolean): string {
  const [id, params] = x.children(t);
  if (id === undefined || id.tag !== Tag.Oid) {
    x.node(name, parent, t);
    return '';
  }
  const oid = oidText(x.buf, id.body, id.len);
  const node = x.node(name, parent, t, 0, `${X509_FIELDS[name]?.label ?? name} (${OID_NAMES[oid] ?? oid})`);
  x.oid('x509af.algorithm.id', node, id);
  if (!publicKey || params === undefined) return oid;
  if (oid === '1.2.840.10045.2.1' && params.tag === Tag.Oid) {
    const ec = x.node('pkcs1.ECParameters', node, params, 1, 'ECParameters: namedCurve (1)');
    x.oid('pkcs1.namedCurve', ec, params);
  } else if (oid === '1.2.840.10045.2.1' && params.tag === Tag.Sequence) {
    specifiedCurve(x, node, params);
  } else if (oid === '1.2.840.10040.4.1' && params.tag === Tag.Sequence) {
    const dss = x.node('x509af.DSS_Params_element', node, params);
    const [p, q, g] = x.children(params);
    if (p?.tag === Tag.Integer) x.value('x509af.p', dss, p);
    if (q?.tag === Tag.Integer) x.value('x509af.q', dss, q);
    if (g?.tag === Tag.Integer) x.value('x509af.g', dss, g);
  }
  return oid;
}

/** Explicit curve parameters (RFC 3279 §2.3.5), as a certificate may carry instead of a curve's name. */
function specifiedCurve(x: Der, parent: number, t: Tlv): void {
  const ec = x.node('pkcs1.ECParameters', parent, t, 1, 'ECParameters: specifiedCurve (1)');
  const sc = x.node('pkcs1.specifiedCurve_element', ec, t);
  const [version, fieldId, curve, base, order, cofactor] = x.children(t);
  if (version?.tag === Tag.Integer) x.value('pkcs1.version', sc, version, integerValue(x.buf, version.body, version.len));
  if (fieldId?.tag === Tag.Sequence) {
    const f = x.node('pkcs1.fieldID_element', sc, fieldId);
    const [type, prime] = x.children(fieldId);
    if (type?.tag === Tag.Oid) x.oid('pkcs1.fieldType', f, type);
    if (prime?.tag === Tag.Integer) x.value('ber.64bit_uint_as_bytes', f, prime);
  }
  if (curve?.tag === Tag.Sequence) {
    const c = x.node('pkcs1.curve_element', sc, curve);
    const [a, b, seed] = x.children(curve);
    if (a?.tag === Tag.OctetString) x.value('pkcs1.a', c, a);
    if (b?.tag === Tag.OctetString) x.value('pkcs1.b', c, b);
    if (seed?.tag === Tag.BitString && seed.len >= 1) {
      x.l.add('ber.bitstring.padding', c, x.buf, seed.body, 1, x.buf[seed.body]);
      x.l.add('pkcs1.seed', c, x.buf, seed.body + 1, seed.len - 1);
    }
  }
  if (base?.tag === Tag.OctetString) x.value('pkcs1.base', sc, base);
  if (order?.tag === Tag.Integer) x.value('ber.64bit_uint_as_bytes', sc, order);
  if (cofactor?.tag === Tag.Integer) x.value('pkcs1.cofactor', sc, cofactor, integerValue(x.buf, cofactor.body, cofactor.len));
}

function subjectPublicKeyInfo(x: Der, signed: number, t: Tlv): void {
  const spki = x.node('x509af.subjectPublicKeyInfo_element', signed, t);
  const [alg, key] = x.children(t);
  const oid = alg !== undefined && alg.tag === Tag.Sequence ? algorithm(x, 'x509af.algorithm_element', spki, alg, true) : '';
  if (key === undefined || key.tag !== Tag.BitString || key.len < 1) return;
  if (oid === '1.2.840.113549.1.1.1') {
    // An RSA key is shown as its modulus and exponent, without the bit string's padding byte.
    const k = x.l.add('x509af.subjectPublicKey', spki, x.buf, key.body + 1, key.len - 1);
    const seq = x.at(key.body + 1, key.end);
    if (seq === null || seq.tag !== Tag.Sequence) return;
    const [n, e] = x.children(seq);
    if (n?.tag === Tag.Integer) x.value('pkcs1.modulus', k, n);
    if (e?.tag === Tag.Integer) x.value('pkcs1.publicExponent', k, e, integerValue(x.buf, e.body, e.len));
    return;
  }
  x.l.add('ber.bitstring.padding', spki, x.buf, key.body, 1, x.buf[key.body]);
  x.l.add('x509af.subjectPublicKey', spki, x.buf, key.body + 1, key.len - 1);
}

// EV certificates' jurisdiction locality and state (1.3.6.1.4.1.311.60.2.1.1–2) are DirectoryStrings too, the country a CountryName.
const DIRECTORY_STRING_OIDS = new Set(['1.3.6.1.4.1.311.60.2.1.1', '1.3.6.1.4.1.311.60.2.1.2', '2.5.4.3', '2.5.4.4', '2.5.4.7', '2.5.4.8', '2.5.4.9', '2.5.4.10', '2.5.4.11', '2.5.4.12', '2.5.4.15', '2.5.4.17', '2.5.4.42', '2.5.4.43', '2.5.4.44', '2.5.4.65']);
const DIRECTORY_STRING_CHOICE: Readonly<Record<number, [string, string, number]>> = {
  [Tag.TeletexString]: ['x509sat.teletexString', 'teletexString', 0], [Tag.PrintableString]: ['x509sat.printableString', 'printableString', 1],
  [Tag.UniversalString]: ['x509sat.universalString', 'universalString', 2], [Tag.Utf8String]: ['x509sat.uTF8String', 'uTF8String', 4],
  [Tag.BmpString]: ['x509sat.bmpString', 'bmpString', 3],
};

/** A Name's RDNSequence (RFC 5280 §4.1.2.4) under `parent`. */
function rdnSequence(x: Der, name: string, parent: number, t: Tlv): void {
  const rdns = x.children(t);
  const seq = x.value(name, parent, t, rdns.length, `rdnSequence: ${rdns.length} item${rdns.length === 1 ? '' : 's'}`);
  for (const rdn of rdns) if (rdn.tag === Tag.Set) rdnItem(x, seq, rdn);
}

/**
 * A Certificate Request's distinguished name at [off, off+len) under `parent`: a node over the
 * Name's contents (text `text`) holding its items.
 */
export function layoutName(l: TlsLayout, parent: number, buf: Buffer, off: number, len: number, name: string, text: string): void {
  const x = new Der(l, buf);
  const t = x.at(off, off + len);
  if (t === null || t.tag !== Tag.Sequence) {
    l.add(name, parent, buf, off, len, 0, text);
    return;
  }
  const rdns = x.children(t).filter((c) => c.tag === Tag.Set);
  const dn = x.value(name, parent, t, rdns.length, text);
  for (const rdn of rdns) rdnItem(x, dn, rdn);
}

/** One RelativeDistinguishedName (a SET of type and value pairs). */
function rdnItem(x: Der, parent: number, rdn: Tlv): void {
  const atvs = x.children(rdn);
  const item = x.value('x509if.RDNSequence_item', parent, rdn, 0, `RDNSequence item: ${atvs.length} item${atvs.length === 1 ? '' : 's'}`);
  for (const atv of atvs) {
    if (atv.tag !== Tag.Sequence) continue;
    const [type, value] = x.children(atv);
    if (type === undefined || type.tag !== Tag.Oid) continue;
    const oid = oidText(x.buf, type.body, type.len);
    const el = x.node('x509if.RelativeDistinguishedName_item_element', item, atv, 0, `RelativeDistinguishedName item (${OID_NAMES[oid] ?? oid})`);
    x.oid('x509if.oid', el, type);
    if (value === undefined) continue;
    if (oid === '2.5.4.6' || oid === '1.3.6.1.4.1.311.60.2.1.3') x.value('x509sat.CountryName', el, value, 0, x.str(value));
    else if (oid === '2.5.4.5') x.value('x509sat.PrintableString', el, value, 0, x.str(value));
    else if (DIRECTORY_STRING_OIDS.has(oid)) {
      const choice = DIRECTORY_STRING_CHOICE[value.tag];
      if (choice === undefined) continue;
      const ds = x.node('x509sat.DirectoryString', el, value, Number(choice[2]), `DirectoryString: ${choice[1]} (${choice[2]})`);
      x.value(choice[0], ds, value, 0, x.str(value));
    }
  }
}

function extension(x: Der, exts: number, t: Tlv): void {
  const parts = x.children(t);
  const id = parts[0];
  if (id === undefined || id.tag !== Tag.Oid) return;
  const oid = oidText(x.buf, id.body, id.len);
  const e = x.node('x509af.Extension_element', exts, t, 0, `Extension (${OID_NAMES[oid] ?? oid})`);
  x.oid('x509af.extension.id', e, id);
  let k = 1;
  if (parts[k]?.tag === Tag.Boolean) {
    x.value('x509af.critical', e, parts[k], parts[k].len > 0 && x.buf[parts[k].body] !== 0 ? 1 : 0);
    k++;
  }
  const octets = parts[k];
  if (octets === undefined || octets.tag !== Tag.OctetString) return;
  const v = x.at(octets.body, octets.end);
  if (v === null) return;
  extensionValue(x, e, oid, v);
}

/** RFC 5280 DisplayText's alternatives, by the index Wireshark shows. */
const DISPLAY_TEXT_CHOICE: Readonly<Record<string, number>> = { ia5String: 0, visibleString: 1, bmpString: 2, utf8String: 3 };

const GENERAL_NAME: Readonly<Record<number, [string, string, number]>> = {
  0x81: ['x509ce.rfc822Name', 'rfc822Name', 1], 0x82: ['x509ce.dNSName', 'dNSName', 2], 0x86: ['x509ce.uniformResourceIdentifier', 'uniformResourceIdentifier', 6],
  0x87: ['x509ce.iPAddress', 'iPAddress', 7],
};

function generalName(x: Der, parent: number, t: Tlv, holder = 'x509ce.GeneralName'): void {
  const choice = GENERAL_NAME[t.tag];
  const g = holder === '' ? parent : x.value(holder, parent, t, choice?.[2] ?? 0, choice === undefined ? 'GeneralName' : `GeneralName: ${choice[1]} (${choice[2]})`);
  if (choice !== undefined) x.value(choice[0], g, t, 0, choice[0] === 'x509ce.iPAddress' ? '' : x.str(t));
}

function extensionValue(x: Der, e: number, oid: string, v: Tlv): void {
  const l = x.l;
  switch (oid) {
    case '2.5.29.15': { // keyUsage
      if (v.tag !== Tag.BitString || v.len < 1) return;
      l.add('ber.bitstring.padding', e, x.buf, v.body, 1, x.buf[v.body]);
      const first = v.len > 1 ? x.buf[v.body + 1] : 0;
      const second = v.len > 2 ? x.buf[v.body + 2] : 0;
      const ku = l.add('x509ce.KeyUsage', e, x.buf, v.body + 1, v.len - 1);
      KEY_USAGE_BITS.forEach((bit, i) => {
        const set = i < 8 ? (first >> (7 - i)) & 1 : (second >> 7) & 1;
        l.add(`x509ce.KeyUsage.${bit}`, ku, x.buf, v.body + 1, 1, set);
      });
      return;
    }
    case '2.5.29.37': { // extKeyUsage
      const ids = x.children(v);
      const list = x.value('x509ce.KeyPurposeIDs', e, v, ids.length, `KeyPurposeIDs: ${ids.length} item${ids.length === 1 ? '' : 's'}`);
      for (const id of ids) if (id.tag === Tag.Oid) x.oid('x509ce.KeyPurposeId', list, id);
      return;
    }
    case '2.5.29.17': case '2.5.29.18': { // subjectAltName, issuerAltName
      const names = x.children(v);
      const list = x.value('x509ce.GeneralNames', e, v, names.length, `GeneralNames: ${names.length} item${names.length === 1 ? '' : 's'}`);
      for (const n of names) generalName(x, list, n);
      return;
    }
    case '2.5.29.19': { // basicConstraints
      const parts = x.children(v);
      const bc = x.node('x509ce.BasicConstraintsSyntax_element', e, v);
      for (const p of parts) {
        if (p.tag === Tag.Boolean) x.value('x509ce.cA', bc, p, p.len > 0 && x.buf[p.body] !== 0 ? 1 : 0);
        else if (p.tag === Tag.Integer) x.value('x509ce.pathLenConstraint', bc, p, integerValue(x.buf, p.body, p.len));
      }
      return;
    }
    case '2.5.29.14': // subjectKeyIdentifier
      if (v.tag === Tag.OctetString) x.value('x509ce.SubjectKeyIdentifier', e, v);
      return;
    case '2.5.29.35': { // authorityKeyIdentifier
      const aki = x.node('x509ce.AuthorityKeyIdentifier_element', e, v);
      for (const p of x.children(v)) if (p.tag === 0x80) x.value('x509ce.keyIdentifier', aki, p);
      return;
    }
    case '2.5.29.31': { // cRLDistributionPoints
      const dps = x.children(v);
      const list = x.value('x509ce.CRLDistPointsSyntax', e, v, dps.length, `CRLDistPointsSyntax: ${dps.length} item${dps.length === 1 ? '' : 's'}`);
      for (const dp of dps) {
        if (dp.tag !== Tag.Sequence) continue;
        const el = x.node('x509ce.DistributionPoint_element', list, dp);
        for (const part of x.children(dp)) {
          if (part.tag !== 0xa0) continue;
          const dpn = x.node('x509ce.distributionPoint', el, part, 0, 'distributionPoint: fullName (0)');
          for (const full of x.children(part)) {
            if (full.tag !== 0xa0) continue;
            const names = x.children(full);
            const fn = x.value('x509ce.fullName', dpn, full, names.length, `fullName: ${names.length} item${names.length === 1 ? '' : 's'}`);
            for (const n of names) generalName(x, fn, n);
          }
        }
      }
      return;
    }
    case '2.5.29.32': case '1.3.6.1.4.1.311.21.10': { // certificatePolicies, Microsoft application policies
      const pols = x.children(v);
      const list = x.value('x509ce.CertificatePoliciesSyntax', e, v, pols.length, `CertificatePoliciesSyntax: ${pols.length} item${pols.length === 1 ? '' : 's'}`);
      for (const pol of pols) {
        if (pol.tag !== Tag.Sequence) continue;
        const pi = x.node('x509ce.PolicyInformation_element', list, pol);
        const [pid, quals] = x.children(pol);
        if (pid?.tag === Tag.Oid) x.oid('x509ce.policyIdentifier', pi, pid);
        if (quals?.tag !== Tag.Sequence) continue;
        const qs = x.children(quals);
        const qn = x.value('x509ce.policyQualifiers', pi, quals, qs.length, `policyQualifiers: ${qs.length} item${qs.length === 1 ? '' : 's'}`);
        for (const q of qs) {
          if (q.tag !== Tag.Sequence) continue;
          const qi = x.node('x509ce.PolicyQualifierInfo_element', qn, q);
          const [qid, qv] = x.children(q);
          if (qid?.tag !== Tag.Oid) continue;
          const qoid = x.oid('x509ce.id', qi, qid);
          if (qv === undefined) continue;
          if (qoid === '1.3.6.1.5.5.7.2.1') x.value('pkix1explicit.DirectoryString', qi, qv, 0, x.str(qv));
          else if (qoid === '1.3.6.1.5.5.7.2.2' && qv.tag === Tag.Sequence) {
            const un = x.node('pkix1implicit.UserNotice_element', qi, qv);
            for (const part of x.children(qv)) {
              const kind = part.tag === Tag.BmpString ? 'bmpString' : part.tag === Tag.Utf8String ? 'utf8String' : part.tag === Tag.VisibleString ? 'visibleString' : '';
              if (kind === '') continue;
              const et = x.node('pkix1implicit.explicitText', un, part, DISPLAY_TEXT_CHOICE[kind], `explicitText: ${kind}`);
              x.value(`pkix1implicit.${kind}`, et, part, 0, x.str(part));
            }
          }
        }
      }
      return;
    }
    case '1.3.6.1.5.5.7.1.1': { // authorityInfoAccess
      const ads = x.children(v);
      const list = x.value('pkix1implicit.AuthorityInfoAccessSyntax', e, v, ads.length, `AuthorityInfoAccessSyntax: ${ads.length} item${ads.length === 1 ? '' : 's'}`);
      for (const ad of ads) {
        if (ad.tag !== Tag.Sequence) continue;
        const el = x.node('pkix1implicit.AccessDescription_element', list, ad);
        const [method, loc] = x.children(ad);
        if (method?.tag === Tag.Oid) x.oid('pkix1implicit.accessMethod', el, method);
        if (loc === undefined) continue;
        const ln = x.node('pkix1implicit.accessLocation', el, loc, loc.tag & 0x1f, `accessLocation: ${loc.tag & 0x1f}`);
        generalName(x, ln, loc, '');
      }
      return;
    }
    case '1.3.6.1.4.1.311.21.7': { // Microsoft certificate template
      const ct = x.node('x509ce.CertificateTemplate_element', e, v);
      const [tid, major, minor] = x.children(v);
      if (tid?.tag === Tag.Oid) x.oid('x509ce.templateID', ct, tid);
      if (major?.tag === Tag.Integer) x.value('x509ce.templateMajorVersion', ct, major, integerValue(x.buf, major.body, major.len));
      if (minor?.tag === Tag.Integer) x.value('x509ce.templateMinorVersion', ct, minor, integerValue(x.buf, minor.body, minor.len));
      return;
    }
    case '1.3.6.1.4.1.311.21.1': // Microsoft CA version
      if (v.tag === Tag.Integer) x.value('x509sat.Integer', e, v, integerValue(x.buf, v.body, v.len));
      return;
    case '1.3.6.1.4.1.11129.2.4.2': // signed certificate timestamps (RFC 6962 §3.3)
      if (v.tag === Tag.OctetString) scts(x, e, v.body, v.end);
      return;
    default:
      return;
  }
}

function scts(x: Der, e: number, off: number, end: number): void {
  const l = x.l;
  const buf = x.buf;
  if (end - off < 2) return;
  const total = buf.readUInt16BE(off);
  l.add('tls.sct.scts_length', e, buf, off, 2, total);
  let p = off + 2;
  const listEnd = Math.min(end, p + total);
  while (listEnd - p >= 2) {
    const n = buf.readUInt16BE(p);
    if (listEnd - p - 2 < n) return;
    const sct = l.add('_text.tls.sct', e, buf, p, 2 + n, 0, 'Signed Certificate Timestamp');
    l.add('tls.sct.sct_length', sct, buf, p, 2, n);
    let q = p + 2;
    const sctEnd = q + n;
    // version (1), log id (32), timestamp (8), extensions<0..2^16-1>, signature algorithm (2), signature<0..2^16-1>
    if (sctEnd - q >= 1 + 32 + 8 + 2) {
      l.add('tls.sct.sct_version', sct, buf, q, 1, buf[q]);
      l.add('tls.sct.sct_logid', sct, buf, q + 1, 32);
      const ms = buf.readUInt32BE(q + 33) * 2 ** 32 + buf.readUInt32BE(q + 37);
      l.add('tls.sct.sct_timestamp', sct, buf, q + 33, 8, ms / 1000);
      q += 41;
      const el = buf.readUInt16BE(q);
      l.add('tls.sct.sct_extensions_length', sct, buf, q, 2, el);
      q += 2 + el;
      if (q <= sctEnd && sctEnd - q >= 4) {
        const alg = l.add('tls.handshake.sig_hash_alg', sct, buf, q, 2, buf.readUInt16BE(q));
        l.add('tls.handshake.sig_hash_hash', alg, buf, q, 1, buf[q]);
        l.add('tls.handshake.sig_hash_sig', alg, buf, q + 1, 1, buf[q + 1]);
        const sl = buf.readUInt16BE(q + 2);
        l.add('tls.sct.sct_signature_length', sct, buf, q + 2, 2, sl);
        if (sctEnd - q - 4 >= sl) l.add('tls.sct.sct_signature', sct, buf, q + 4, sl);
      }
    }
    p = sctEnd;
  }
}
