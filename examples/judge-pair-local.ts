// Judge one image + question + two responses with a checkpoint trained here (for example the demo's
// runs/demo-small/rl/checkpoints/step-000080), in both response orders with 3 samples each, and
// read the Voting@3 verdict and whether the two orders agree.
// Run: node --import tsx examples/judge-pair-local.ts CHECKPOINT_DIR IMAGE.png
import { readFileSync } from 'node:fs';
import { COMPACT_TEMPLATE, imageToDataUrl, judgePair, LocalModelBackend } from '../src/index.js';

const [checkpoint, imagePath] = process.argv.slice(2);
if (!checkpoint || !imagePath) {
  console.error('usage: examples/judge-pair-local.ts CHECKPOINT_DIR IMAGE.png');
  process.exit(2);
}

const backend = new LocalModelBackend({ checkpoint, temperature: 1, topP: 1, maxTokens: 48, seed: 0 });
try {
  const result = await judgePair(
    {
      id: 'example-1',
      images: [await imageToDataUrl(new Uint8Array(readFileSync(imagePath)))],
      question: 'What colour is the square?',
      responses: ['The square is red.', 'The square is blue.'],
    },
    backend,
    // The local model was trained on the compact template (src/model/judge-format.ts).
    { k: 3, order: 'both', seed: 0, template: COMPACT_TEMPLATE },
  );
  for (const j of result.judgements)
    console.log(
      `first response shown as Response ${j.firstAt}:`,
      j.samples.map((s) => s.choice),
    );
  console.log(
    JSON.stringify({ votes: result.votes, preferred: result.preferred, consistent: result.consistent }),
  );
} finally {
  await backend.close();
}
