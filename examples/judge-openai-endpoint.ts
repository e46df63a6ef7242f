// Judge an image + question + two responses through an OpenAI-compatible chat endpoint (vLLM,
// SGLang, llama.cpp, …), in both response orders with K = 3 samples each, and read the Voting@K
// verdict and whether the orders agree.
//
// So that it runs offline, the endpoint here is a STAND-IN started by this file: a small HTTP
// server that answers /v1/chat/completions in the chat-completions shape with a fixed rule (it
// prefers the longer response). It is not a model. For the released 7B R1-Reward, serve it with
// vLLM (the full command, with its image limits, is in docs/judging.md §1):
//   vllm serve yifanzhang114/R1-Reward --served-model-name r1-reward --port 8000 …
// then run this file with ENDPOINT=http://127.0.0.1:8000/v1 and the stand-in is not started.
// Run: node --import tsx examples/judge-openai-endpoint.ts
import { createServer } from 'node:http';
import sharp from 'sharp';
import { imageToDataUrl, judgePair, OpenAICompatibleBackend } from '../src/index.js';

// --- the stand-in endpoint ------------------------------------------------------------------------
type ChatBody = { model: string; n?: number; messages: { content: { type: string; text?: string }[] }[] };
const standIn = createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk) => (raw += chunk));
  req.on('end', () => {
    const body = JSON.parse(raw) as ChatBody;
    const text = body.messages.at(-1)?.content.find((p) => p.type === 'text')?.text ?? '';
    // The released prompt puts the responses under "[Response 1]:" and "[Response 2]:".
    const [, one = '', two = ''] =
      /\[Response 1\]:\n([\s\S]*?)\s*###### \[Response 2\]:\n([\s\S]*?)\s*######/.exec(text) ?? [];
    const pick = one.length >= two.length ? 1 : 2;
    const content = `<think>Response ${pick} is more detailed.</think><answer>${pick}</answer>`;
    const choices = Array.from({ length: body.n ?? 1 }, (_, index) => ({
      index,
      message: { role: 'assistant', content },
      finish_reason: 'stop',
    }));
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ id: 'stand-in', object: 'chat.completion', created: 0, model: body.model, choices }),
    );
  });
});
let endpoint = process.env.ENDPOINT;
if (!endpoint) {
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(standIn.address() as { port: number }).port}/v1`;
}

// --- the judge ------------------------------------------------------------------------------------
// Several base URLs may be given (load-balanced); retries, timeouts and n = k sampling are built in.
const backend = new OpenAICompatibleBackend({
  baseURLs: [endpoint],
  model: 'r1-reward',
  temperature: 1,
  maxTokens: 1024,
});
const redSquare = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#d00' } })
  .png()
  .toBuffer();
try {
  const result = await judgePair(
    {
      id: 'example-1', // seeds the random order protocol; any stable string
      images: [await imageToDataUrl(new Uint8Array(redSquare))],
      question: 'What colour is the square?',
      responses: ['The square is red, filling the whole image.', 'Blue.'],
    },
    backend,
    { k: 3, order: 'both', seed: 0 }, // the released prompt is the default template
  );
  for (const j of result.judgements)
    console.log(
      `first response shown as Response ${j.firstAt}:`,
      j.samples.map((s) => s.choice),
    );
  // preferred: 1 = the pair's first response wins by Voting@K; consistent: both orders agree.
  console.log(
    JSON.stringify({ votes: result.votes, preferred: result.preferred, consistent: result.consistent }),
  );
} finally {
  await backend.close();
  standIn.close();
}
