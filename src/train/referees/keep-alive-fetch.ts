// A small `fetch` over node:http(s) with a keep-alive agent, handed to the openai client (its
// documented `fetch` option). A referee answers a few bytes to each of thousands of calls per
// second; Node's built-in fetch (undici + web streams) spends about twice the CPU per such call,
// and on a busy trainer host that CPU, not the referee, limits rewards/s (see bench/serve).
// Only what the openai client needs: a request body given as a string or bytes, and a response
// read whole (the referee is never streamed).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export function createKeepAliveFetch(maxSockets: number): typeof fetch {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets }),
    https: new HttpsAgent({ keepAlive: true, maxSockets }),
  };
  const keepAliveFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, key) => {
        headers[key] = value;
      });
      const body = init.body;
      if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        reject(new TypeError('keep-alive fetch sends only string or byte bodies'));
        return;
      }
      const https = url.protocol === 'https:';
      const onResponse = (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(response.headers))
            if (value !== undefined)
              responseHeaders.set(key, Array.isArray(value) ? value.join(', ') : value);
          const status = response.statusCode ?? 500;
          const noBody = status === 204 || status === 304 || options.method === 'HEAD';
          resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        });
      };
      const options = {
        method: init.method ?? 'GET',
        headers,
        agent: https ? agents.https : agents.http,
        signal: init.signal ?? undefined,
      };
      const request = https ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
      request.on('error', reject);
      request.end(body ?? undefined);
    });
  return keepAliveFetch as typeof fetch;
}
