// answer.js renders an answer's text: inline [n] markers become citation
// chips, and sentences that citation checking found unsupported are marked.

import { h } from './dom.js';

// marker matches [1], [2, 3] and [2,3].
const marker = /\[(\d+(?:\s*,\s*\d+)*)\]/g;

/**
 * unsupportedRanges finds, in answer text, the sentences marked
 * supported == false, and returns their [from, to) UTF-16 ranges in order.
 * A sentence is looked for as sent, then without its markers.
 */
export function unsupportedRanges(text, sentences) {
  const ranges = [];
  if (!Array.isArray(sentences)) return ranges;
  let from = 0;
  for (const s of sentences) {
    const needle = String(s?.text ?? '').trim();
    if (!needle) continue;
    let at = text.indexOf(needle, from);
    let len = needle.length;
    if (at < 0) {
      const bare = needle.replace(marker, '').replace(/\s+/g, ' ').trim();
      at = bare ? text.indexOf(bare, from) : -1;
      len = bare.length;
    }
    if (at < 0) continue;
    from = at + len;
    if (s.supported === false) ranges.push([at, at + len]);
  }
  return ranges;
}

/**
 * renderAnswerText fills node with text, turning markers into chip buttons.
 * citations maps n to a citation; a chip whose citation is not known yet
 * (while streaming) is rendered but inert. Once the answer is final, a
 * number no citation has stays text: "[1844]" in a quotation is not a
 * source. onChip(n, button) is called when a chip is clicked.
 */
export function renderAnswerText(node, text, { citations, sentences, onChip, final = false }) {
  const ranges = unsupportedRanges(text, sentences);
  // Cut the text where unsupported ranges start and end.
  const cuts = [];
  let pos = 0;
  for (const [a, b] of ranges) {
    if (a > pos) cuts.push({ text: text.slice(pos, a), unsupported: false });
    cuts.push({ text: text.slice(a, b), unsupported: true });
    pos = b;
  }
  if (pos < text.length) cuts.push({ text: text.slice(pos), unsupported: false });

  const out = [];
  for (const cut of cuts) {
    const parts = withChips(cut.text, citations, onChip, final);
    if (!cut.unsupported) {
      out.push(...parts);
      continue;
    }
    out.push(h('span', { className: 'unsupported', title: 'The cited passage does not support this sentence' },
      ...parts,
      h('span', { className: 'visually-hidden' }, ' (not supported by the cited passage)')));
  }
  node.replaceChildren(...out);
  return ranges.length;
}

function withChips(text, citations, onChip, final) {
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(marker)) {
    const ns = m[1].split(',').map((x) => Number.parseInt(x.trim(), 10));
    if (final && !ns.every((n) => citations.has(n))) continue; // left as text
    if (m.index > last) parts.push(text.slice(last, m.index));
    const group = h('span', { className: 'cite-group' });
    for (const n of ns) group.append(chip(n, citations.get(n), onChip));
    parts.push(group);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** chip builds the button of citation n. */
export function chip(n, citation, onChip, label) {
  const title = citation?.title ? `Source ${n}: ${citation.title}` : `Source ${n}`;
  const b = h('button', {
    type: 'button',
    className: citation ? 'cite' : 'cite pending',
    'aria-label': title,
    title: citation?.title || undefined,
    'aria-controls': 'source-panel',
    'aria-expanded': 'false',
    dataset: { n: String(n) },
  }, label ?? String(n));
  if (!citation) b.setAttribute('aria-disabled', 'true');
  b.addEventListener('click', () => {
    if (citation) onChip(n, b);
  });
  return b;
}
