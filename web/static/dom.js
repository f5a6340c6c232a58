// dom.js holds small helpers for building elements and formatting values.

/**
 * h builds an element. attrs sets properties for known ones (className,
 * textContent, hidden, disabled, type, value) and attributes otherwise;
 * functions under on* become listeners. Children may be strings, nodes,
 * arrays of either, or null.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'className' || key === 'textContent' || key === 'hidden' || key === 'disabled' || key === 'value' || key === 'type') {
      node[key] = value;
    } else if (key === 'dataset') {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

const svgNS = 'http://www.w3.org/2000/svg';

/** icon builds a decorative 20×20 SVG icon from path data. */
export function icon(...paths) {
  const svg = document.createElementNS(svgNS, 'svg');
  svg.setAttribute('viewBox', '0 0 20 20');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of paths) {
    const p = document.createElementNS(svgNS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

/** Icons used in more than one place, as SVG path data. */
export const icons = {
  copy: ['M7 7V4.5C7 3.7 7.7 3 8.5 3h7c.8 0 1.5.7 1.5 1.5v7c0 .8-.7 1.5-1.5 1.5H13', 'M3 8.5C3 7.7 3.7 7 4.5 7h7c.8 0 1.5.7 1.5 1.5v7c0 .8-.7 1.5-1.5 1.5h-7c-.8 0-1.5-.7-1.5-1.5z'],
  check: ['m4 10.5 4 4 8-9'],
  clock: ['M10 17a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'M10 6v4l2.5 2'],
  alert: ['M10 3 2 17h16z', 'M10 8v4', 'M10 14.5v.5'],
  search: ['M9 15A6 6 0 1 0 9 3a6 6 0 0 0 0 12z', 'm13.5 13.5 4 4'],
  searchOff: ['M9 15A6 6 0 1 0 9 3a6 6 0 0 0 0 12z', 'm13.5 13.5 4 4', 'M6.5 6.5l5 5M11.5 6.5l-5 5'],
  doc: ['M5 2.5h6.5L15 6v11.5H5z', 'M11 2.5V6.5h4', 'M7.5 10h5M7.5 13h5'],
  retry: ['M4 10a6 6 0 1 0 1.8-4.3', 'M4 3.5v3h3'],
  edit: ['M4 16h3l8.5-8.5a2.1 2.1 0 0 0-3-3L4 13z', 'M11 6l3 3'],
  trash: ['M4 5.5h12', 'M8 5.5V4h4v1.5', 'M5.5 5.5l.8 11h7.4l.8-11'],
  chevron: ['m7 5 5 5-5 5'],
  link: ['M8.5 11.5a3 3 0 0 0 4.2 0l2.8-2.8a3 3 0 0 0-4.2-4.2l-.9.9', 'M11.5 8.5a3 3 0 0 0-4.2 0l-2.8 2.8a3 3 0 0 0 4.2 4.2l.9-.9'],
  warning: ['M10 3 2 17h16z', 'M10 8v4', 'M10 14.5v.5'],
};

/** isURL reports whether s is an absolute http(s) URL worth linking. */
export function isURL(s) {
  return typeof s === 'string' && /^https?:\/\/[^\s]+$/i.test(s.trim());
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** formatDate writes a YYYY-MM-DD or RFC 3339 date for people, or ''. */
export function formatDate(s) {
  if (!s) return '';
  const t = new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  return Number.isNaN(t.getTime()) ? s : dateFormat.format(t);
}

/** formatMs writes a duration in milliseconds briefly. */
export function formatMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

/** formatCount writes 4729 as 4.7k. */
export function formatCount(n) {
  if (typeof n !== 'number') return '';
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1000).toFixed(n < 10000 ? 1 : 0)}k`;
  return `${(n / 1e6).toFixed(1)}M`;
}

/** plural writes "1 passage" or "3 passages". */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** sourceNode shows a source as a link when it is a URL, as text otherwise. */
export function sourceNode(source) {
  if (!source) return null;
  if (isURL(source)) {
    let label = source;
    try {
      const u = new URL(source);
      label = u.hostname.replace(/^www\./, '') + (u.pathname.length > 1 ? u.pathname : '');
    } catch {
      // Keep the raw text.
    }
    return h('a', { href: source, target: '_blank', rel: 'noopener noreferrer', className: 'source-link' }, label);
  }
  return h('span', { className: 'source-text', title: source }, shortSource(source));
}

/** shortSource keeps the last part of a long file path. */
function shortSource(s) {
  if (s.length <= 48 || !s.includes('/')) return s;
  return `…/${s.split('/').slice(-2).join('/')}`;
}
