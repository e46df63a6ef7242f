// Remote image URLs reach only public addresses: every hop is resolved and checked before connecting,
// non-public ranges (IPv4, IPv6, IPv4-mapped) are refused unless allowed explicitly, and a refused
// address, a closed port and an HTTP error read the same. The tests contact 127.0.0.1 only.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fetchRemoteImage, isFetchableAddress, networkList } from '../../src/inference/remote-image.js';

describe('which addresses a remote image may come from', () => {
  it('refuses loopback, private, link-local, unique-local, multicast and unspecified addresses', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::7f00:1',
      'not-an-ip',
    ])
      assert.equal(isFetchableAddress(address), false, address);
  });
  it('accepts public addresses, and non-public ones only inside an explicitly allowed network', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      assert.equal(isFetchableAddress(address), true, address);
    const allowed = networkList(['127.0.0.1', 'fd00::/8']);
    assert.equal(isFetchableAddress('127.0.0.1', allowed), true);
    assert.equal(isFetchableAddress('::ffff:127.0.0.1', allowed), true);
    assert.equal(isFetchableAddress('127.0.0.2', allowed), false);
    assert.equal(isFetchableAddress('fd12::1', allowed), true);
    assert.equal(isFetchableAddress('10.0.0.1', allowed), false);
  });
  it('names a bad network entry', () => {
    assert.throws(
      () => networkList(['10.0.0.0/33'], '--allow-image-network'),
      /--allow-image-network: '10.0.0.0\/33'/,
    );
    assert.throws(() => networkList(['example.com']), /not an IP address or CIDR range/);
  });
});

describe('fetching a remote image', () => {
  let server: Server;
  let base: string;
  let closedPort: number;
  const requests: string[] = [];
  before(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const redirect = /^\/to\?(.*)$/.exec(request.url ?? '');
      if (redirect) {
        response.writeHead(302, { location: decodeURIComponent(redirect[1] ?? '') });
        response.end();
      } else if (request.url === '/ok.png') response.end(Buffer.from('image bytes'));
      else {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const policy = { maxBytes: 4096, timeoutMs: 5000 };
  const allowLoopback = { ...policy, allowedNetworks: ['127.0.0.1'] };

  it('fetches from an explicitly allowed address, following redirects that stay allowed', async () => {
    assert.equal((await fetchRemoteImage(`${base}/ok.png`, allowLoopback)).toString(), 'image bytes');
    const hop = `${base}/to?${encodeURIComponent(`${base}/ok.png`)}`;
    assert.equal((await fetchRemoteImage(hop, allowLoopback)).toString(), 'image bytes');
  });

  it('refuses loopback by default without connecting, by literal and by name', async () => {
    const before = requests.length;
    await assert.rejects(fetchRemoteImage(`${base}/ok.png`, policy), /cannot fetch the image at/);
    const port = (server.address() as AddressInfo).port;
    await assert.rejects(
      fetchRemoteImage(`http://localhost:${port}/ok.png`, policy),
      /cannot fetch the image at/,
    );
    await assert.rejects(
      fetchRemoteImage(`http://[::ffff:127.0.0.1]:${port}/ok.png`, policy),
      /cannot fetch/,
    );
    assert.equal(requests.length, before, 'no request reached the server');
  });

  it('checks every redirect: one to a private or link-local address is refused', async () => {
    for (const target of [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/x.png',
      'http://[::1]/x.png',
    ]) {
      await assert.rejects(
        fetchRemoteImage(`${base}/to?${encodeURIComponent(target)}`, allowLoopback),
        /cannot fetch the image at/,
        target,
      );
    }
  });

  it('gives one neutral error: refused address, closed port and HTTP error read the same', async () => {
    const message = async (url: string, p: typeof policy) => {
      try {
        await fetchRemoteImage(url, p);
      } catch (error) {
        return (error as Error).message.replace(url, 'URL');
      }
      assert.fail(`${url} was fetched`);
    };
    const refused = await message(`${base}/ok.png`, policy);
    const closed = await message(`http://127.0.0.1:${closedPort}/ok.png`, allowLoopback);
    const missing = await message(`${base}/missing.png`, allowLoopback);
    assert.equal(closed, refused);
    assert.equal(missing, refused);
    assert.doesNotMatch(refused, /ECONNREFUSED|404|127\.0\.0\.1/);
  });
});
