// The reference transformer LM of the engine benchmark, written on the engine's API:
// token + position embeddings, pre-LN blocks (causal self-attention, GELU MLP 4×), final LN, LM head.
// Mirrors bench/engine/reference.py line for line, including PyTorch's default initialisation.
import { empty, nn, noGrad, ones, randn, scope, type Tensor, zeros } from '../../src/engine/index.js';

export interface LMConfig {
  vocab: number;
  dModel: number;
  layers: number;
  heads: number;
  seq: number;
  batch: number;
}

interface Block {
  ln1w: Tensor;
  ln1b: Tensor;
  qkvW: Tensor;
  qkvB: Tensor;
  projW: Tensor;
  projB: Tensor;
  ln2w: Tensor;
  ln2b: Tensor;
  fcW: Tensor;
  fcB: Tensor;
  outW: Tensor;
  outB: Tensor;
}

export interface LM {
  config: LMConfig;
  tok: Tensor;
  pos: Tensor;
  blocks: Block[];
  lnw: Tensor;
  lnb: Tensor;
  head: Tensor;
  positions: Tensor;
}

/** nn.Linear's default init: U(-1/√in, 1/√in) for weight and bias. */
function linearParams(inFeatures: number, outFeatures: number): [Tensor, Tensor] {
  const bound = 1 / Math.sqrt(inFeatures);
  return noGrad(() => [
    empty([outFeatures, inFeatures]).uniform_(-bound, bound).requiresGrad_().keep(),
    empty([outFeatures]).uniform_(-bound, bound).requiresGrad_().keep(),
  ]);
}

const param = (t: Tensor): Tensor => t.requiresGrad_().keep();

export function createLM(config: LMConfig): LM {
  const d = config.dModel;
  const blocks: Block[] = [];
  const tok = param(randn([config.vocab, d]));
  const pos = param(randn([config.seq, d]));
  for (let i = 0; i < config.layers; i++) {
    const [qkvW, qkvB] = linearParams(d, 3 * d);
    const [projW, projB] = linearParams(d, d);
    const [fcW, fcB] = linearParams(d, 4 * d);
    const [outW, outB] = linearParams(4 * d, d);
    blocks.push({
      ln1w: param(ones([d])),
      ln1b: param(zeros([d])),
      qkvW,
      qkvB,
      projW,
      projB,
      ln2w: param(ones([d])),
      ln2b: param(zeros([d])),
      fcW,
      fcB,
      outW,
      outB,
    });
  }
  const bound = 1 / Math.sqrt(d);
  const head = noGrad(() => empty([config.vocab, d]).uniform_(-bound, bound))
    .requiresGrad_()
    .keep();
  return {
    config,
    tok,
    pos,
    blocks,
    lnw: param(ones([d])),
    lnb: param(zeros([d])),
    head,
    positions: empty([0]).keep(),
  };
}

export function parameters(model: LM): Tensor[] {
  return [
    model.tok,
    model.pos,
    ...model.blocks.flatMap((b) => Object.values(b) as Tensor[]),
    model.lnw,
    model.lnb,
    model.head,
  ];
}

function block(b: Block, x: Tensor, heads: number): Tensor {
  const [B, T, C] = x.shape as [number, number, number];
  const qkv = nn.linear(nn.layerNorm(x, [C], b.ln1w, b.ln1b), b.qkvW, b.qkvB);
  const [q, k, v] = qkv.split(C, 2).map((t) => t.view([B, T, heads, C / heads]).transpose(1, 2)) as [
    Tensor,
    Tensor,
    Tensor,
  ];
  const y = nn.scaledDotProductAttention(q, k, v, { causal: true }).transpose(1, 2).reshape([B, T, C]);
  const h = x.add(nn.linear(y, b.projW, b.projB));
  const mlp = nn.linear(nn.linear(nn.layerNorm(h, [C], b.ln2w, b.ln2b), b.fcW, b.fcB).gelu(), b.outW, b.outB);
  return h.add(mlp);
}

/** Mean next-token cross-entropy of inputs [B, T] against targets [B, T]. */
export function lmLoss(model: LM, inputs: Tensor, targets: Tensor): Tensor {
  const T = inputs.size(1);
  let x = nn.embedding(inputs, model.tok).add(model.pos.narrow(0, 0, T));
  // A scope per block frees its temporaries as soon as the block is done (autograd keeps what it saved),
  // as Python's reference counting does for the PyTorch reference.
  for (const b of model.blocks) x = scope(() => block(b, x, model.config.heads));
  const logits = nn.linear(nn.layerNorm(x, [model.config.dModel], model.lnw, model.lnb), model.head);
  return nn.crossEntropy(logits.view([-1, model.config.vocab]), targets.reshape([-1]));
}
