// typedoc plugin: files every top-level export of src/index.ts under a category named after the
// folder it is defined in (src/algo → "Algorithm", …), so the API reference's index reads by area
// instead of as one alphabetical list of some 250 names, without an @category tag in every doc comment.
import { relative, sep } from 'node:path';
import { Comment, CommentTag, Converter } from 'typedoc';

const ROOT = new URL('..', import.meta.url).pathname;

/** Folder under src/ → category (typedoc.json's categoryOrder lists them in the same order). */
const CATEGORIES = {
  algo: 'Algorithm: StableReinforce math, rewards, parsing, voting',
  data: 'Data: benchmarks, R1-Reward format, images, synthetic world',
  engine: 'Tensor engine',
  model: 'Model: tokenizer, transformer, sampling, checkpoints',
  inference: 'Inference: batched local generation',
  reward: 'Rewards and referees',
  judge: 'Judging: prompt, backends, order protocols',
  train: 'Training: SFT, RL, reports',
  eval: 'Benchmarks: runner, scoring, reports',
  experiments: 'Experiments: the ablation, the demo pipeline',
  serve: 'Serving: reward server, chat server',
  'errors.ts': 'Errors',
};

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const child of project.children ?? []) {
      const file = project.getSymbolIdFromReflection(child)?.fileName;
      if (!file) continue;
      const folder = relative(`${ROOT}src`, file).split(sep)[0] ?? '';
      const category = CATEGORIES[folder] ?? 'Package';
      // A function's doc comment lives on its signature; the index shows that one.
      const signature = child.signatures?.[0];
      const holder = !child.comment && signature ? signature : child;
      holder.comment ??= new Comment();
      holder.comment.blockTags.push(new CommentTag('@category', [{ kind: 'text', text: category }]));
    }
  });
}
