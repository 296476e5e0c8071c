// Importing this module registers every field. Order here is the order of the details tree.
import './frame';
import './link';
import './ip';
import './ipv6-ext';
import './tcp';
import './udp';
import './tls';
import './tls-tree';
import './columns';

export * from './registry';
export { formatField } from './format';
