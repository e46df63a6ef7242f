// Fetching a client's http(s) image URL without letting the client reach the server's own network.
// Every hop (the URL and each redirect) is resolved once, every address is checked against the
// non-public ranges, and the socket connects to the checked address (a custom `lookup`), so a DNS
// answer that changes between the check and the connection cannot slip a private address through.
// Every failure short of a size limit reads the same, so the replies do not tell a client whether
// something listens at an address.
import { lookup as dnsLookup } from 'node:dns/promises';
import { get as httpGet, type IncomingMessage, type RequestOptions } from 'node:http';
import { get as httpsGet } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { R1RewardError } from '../errors.js';

/** How a remote image may be fetched. */
export interface RemoteImagePolicy {
  /** Largest body in bytes (declared or read). */
  maxBytes: number;
  /** Timeout of the whole fetch, redirects and body included. */
  timeoutMs: number;
  /** Addresses or CIDR ranges fetched although they are not public (e.g. '127.0.0.1', '10.0.0.0/8'). */
  allowedNetworks?: readonly string[] | undefined;
  /** Redirects followed (default 5). */
  maxRedirects?: number;
}

/** Loopback, private, link-local, unique-local, multicast, unspecified and reserved ranges. */
const NON_PUBLIC: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], // "this network", unspecified
  ['10.0.0.0', 8, 'ipv4'], // private
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['127.0.0.0', 8, 'ipv4'], // loopback
  ['169.254.0.0', 16, 'ipv4'], // link-local (cloud metadata services)
  ['172.16.0.0', 12, 'ipv4'], // private
  ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments
  ['192.168.0.0', 16, 'ipv4'], // private
  ['198.18.0.0', 15, 'ipv4'], // benchmarking
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, broadcast
  ['::', 96, 'ipv6'], // unspecified, loopback, IPv4-compatible
  ['64:ff9b::', 96, 'ipv6'], // NAT64 (reaches IPv4 through a translator)
  ['100::', 64, 'ipv6'], // discard
  ['2002::', 16, 'ipv6'], // 6to4 (reaches IPv4 through a relay)
  ['fc00::', 7, 'ipv6'], // unique local
  ['fe80::', 10, 'ipv6'], // link-local
  ['fec0::', 10, 'ipv6'], // site-local (deprecated)
  ['ff00::', 8, 'ipv6'], // multicast
];

const nonPublic = new BlockList();
for (const [network, prefix, family] of NON_PUBLIC) nonPublic.addSubnet(network, prefix, family);

/** A BlockList of 'ADDRESS' or 'ADDRESS/PREFIX' entries; a bad entry throws naming it. */
export function networkList(entries: readonly string[], flag = 'allowedNetworks'): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.trim().split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (
      family === 0 ||
      extra !== undefined ||
      !Number.isInteger(bits) ||
      bits < 0 ||
      bits > (family === 6 ? 128 : 32)
    )
      throw new RangeError(
        `${flag}: '${entry}' is not an IP address or CIDR range; write e.g. 127.0.0.1, 10.0.0.0/8 or fd00::/8`,
      );
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** Whether `address` (an IP literal) may be fetched: public, or inside an explicitly allowed network. */
export function isFetchableAddress(address: string, allowed?: BlockList): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (allowed?.check(address, type)) return true;
  // BlockList matches an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against the IPv4 ranges too.
  return !nonPublic.check(address, type);
}

/** The one error every refused or failed fetch gives; `reason` is for the server's own log only. */
export class RemoteImageError extends R1RewardError {
  override name = 'RemoteImageError';
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super('remote_image', message);
  }
}

/** Too large an image: said plainly, since only a fetchable address can answer at all. */
export class RemoteImageTooLargeError extends Error {
  override name = 'RemoteImageTooLargeError';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Resolves a host once and checks every address; returns the address to connect to. */
async function checkedAddress(
  hostname: string,
  allowed: BlockList | undefined,
): Promise<{ address: string; family: number }> {
  const literal = hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(literal)
    ? [{ address: literal, family: isIP(literal) }]
    : await dnsLookup(literal, { all: true, verbatim: true });
  if (addresses.length === 0) throw new Error(`${hostname} has no address`);
  // One non-public answer refuses the host: a connection must not depend on which answer it gets.
  for (const a of addresses)
    if (!isFetchableAddress(a.address, allowed))
      throw new Error(`${hostname} resolves to ${a.address}, not allowed`);
  return addresses[0] as { address: string; family: number };
}

/** A `lookup` that answers with the already checked address, whatever DNS says by now. */
function pinnedLookup(address: string, family: number): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function request(
  url: URL,
  pinned: { address: string; family: number },
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const options: RequestOptions = {
    lookup: pinnedLookup(pinned.address, pinned.family),
    agent: false,
    signal,
    headers: { accept: 'image/*' },
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsGet : httpGet)(url, options, resolve);
    req.on('error', reject);
  });
}

async function readBody(response: IncomingMessage, url: string, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) {
    response.destroy();
    throw new RemoteImageTooLargeError(`${url} is ${declared} bytes, above the image limit of ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).byteLength;
    if (size > maxBytes) {
      response.destroy();
      throw new RemoteImageTooLargeError(`${url} is more than ${maxBytes} bytes, the image limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Downloads an http(s) image URL under the policy. Refused addresses, DNS failures, connection
 * errors, timeouts and non-2xx replies all throw the same {@link RemoteImageError}.
 */
export async function fetchRemoteImage(url: string, policy: RemoteImagePolicy): Promise<Buffer> {
  const allowed = policy.allowedNetworks?.length ? networkList(policy.allowedNetworks) : undefined;
  const signal = AbortSignal.timeout(policy.timeoutMs);
  const neutral = (reason: string) =>
    new RemoteImageError(
      `cannot fetch the image at ${url}; the server fetches only public http(s) addresses that answer with the image within ${policy.timeoutMs} ms (send it as a data URL instead)`,
      reason,
    );
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw neutral('not a URL');
  }
  for (let hop = 0; hop <= (policy.maxRedirects ?? 5); hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:')
      throw neutral(`scheme ${current.protocol}`);
    let response: IncomingMessage;
    try {
      const pinned = await checkedAddress(current.hostname, allowed);
      response = await request(current, pinned, signal);
    } catch (error) {
      throw neutral((error as Error).message);
    }
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status) && response.headers.location) {
      response.resume();
      try {
        current = new URL(response.headers.location, current);
      } catch {
        throw neutral('bad redirect location');
      }
      continue;
    }
    if (status < 200 || status >= 300) {
      response.resume();
      throw neutral(`HTTP ${status}`);
    }
    try {
      return await readBody(response, url, policy.maxBytes);
    } catch (error) {
      if (error instanceof RemoteImageTooLargeError) throw error;
      throw neutral((error as Error).message);
    }
  }
  throw neutral('too many redirects');
}
