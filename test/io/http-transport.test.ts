import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { nodeHttpFetch } from '../../src/io/http-transport.js';

/** Resolves on the next request for /held, which is never answered (the client must give up). */
let nextHeld: Promise<void>;
let heldArrived = () => {};
const expectHeld = () => {
  nextHeld = new Promise<void>((resolve) => {
    heldArrived = resolve;
  });
};

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    if (req.url === '/echo') {
      res.writeHead(201, { 'content-type': 'application/json', 'x-twice': ['a', 'b'] });
      res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization }));
    } else if (req.url === '/gzip') {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync('unzipped text'));
    } else if (req.url === '/empty') {
      res.writeHead(204);
      res.end();
    } else if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => res.destroy()); // cut once the first bytes are out
    } else if (req.url === '/held') heldArrived();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => {
  server.closeAllConnections();
  server.close();
});

describe('nodeHttpFetch (the openai client transport)', () => {
  it('sends method, headers and body; returns status, repeated headers and body', async () => {
    const res = await nodeHttpFetch(`${base}/echo`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{"x":1}',
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-twice'), 'a, b');
    assert.deepEqual(await res.json(), { method: 'POST', body: '{"x":1}', auth: 'Bearer k' });
  });

  it('decodes a gzip body and gives 204 a null body', async () => {
    assert.equal(await (await nodeHttpFetch(`${base}/gzip`)).text(), 'unzipped text');
    const empty = await nodeHttpFetch(`${base}/empty`);
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
  });

  it('rejects with AbortError when aborted (what the client reads as a timeout)', async () => {
    const controller = new AbortController();
    expectHeld();
    const pending = nodeHttpFetch(`${base}/held`, { signal: controller.signal });
    await nextHeld; // the request is in flight on the server
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await assert.rejects(nodeHttpFetch(`${base}/held`, { signal: AbortSignal.abort() }), {
      name: 'AbortError',
    });
  });

  it('rejects a response cut short and a refused connection', async () => {
    await assert.rejects(nodeHttpFetch(`${base}/cut`), /aborted|closed the connection/);
    await assert.rejects(nodeHttpFetch('http://127.0.0.1:1/'), /ECONNREFUSED/);
  });
});
