// tcpwatch as a library: read captures, decode frames into the reused record, look fields up in
// the registry and format them as tshark does.
import './packet-modules';

export { CaptureFileReader, CaptureFileError } from './capture/file-reader';
export { openCaptureWriter, PcapWriter, PcapngWriter } from './capture/file-writer';
export { CapturedFrame } from './capture/frame';
export { Dissection, Malformed, Proto } from './decode/dissection';
export { decodeFrame } from './decode/decoder';
export { getField, allFields, defineField, FT } from './fields/registry';
export { formatField } from './fields/format';
export { Pipeline } from './pipeline';
export { sanitizeText, sanitizeBytes } from './output/sanitize';
