"""A small accessibility check run inside the browser on the rendered page: what axe-core
would flag first, without fetching axe-core.

- the document has a language and a title; one ``h1``; headings never skip a level down;
- every visible form control has a name (a ``<label for>``, an enclosing label,
  ``aria-label`` or ``aria-labelledby``); every button and link has text;
- every image has an ``alt``;
- text contrast meets WCAG AA: 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold),
  against the first opaque background behind it.
"""

from __future__ import annotations

from typing import Any

CHECK = r"""
const problems = [];
const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
const visible = (el) => {
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return box.width > 1 && box.height > 1 && style.visibility !== 'hidden' && style.display !== 'none';
};
if (!document.documentElement.lang) problems.push('the document has no lang');
if (!document.title.trim()) problems.push('the document has no title');
const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')];
if (headings.filter((h) => h.tagName === 'H1').length !== 1) problems.push('not exactly one h1');
let level = 0;
for (const h of headings) {
  const next = Number(h.tagName[1]);
  if (level && next > level + 1) problems.push(`heading ${h.tagName} after h${level}: "${h.textContent.trim()}"`);
  level = next;
}
for (const el of document.querySelectorAll('input,select,textarea')) {
  if (['hidden', 'submit', 'button'].includes(el.type) || !visible(el)) continue;
  const labelled = (el.id && [...document.querySelectorAll('label')].some(
      (l) => l.htmlFor === el.id && l.textContent.trim())) || el.closest('label') ||
    (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby');
  if (!labelled) problems.push(`form control without a label: ${name(el)}`);
}
for (const el of document.querySelectorAll('button,a[href]')) {
  if (visible(el) && !(el.textContent.trim() || (el.getAttribute('aria-label') || '').trim()))
    problems.push(`${name(el)} without text`);
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push(`image without alt: ${img.src}`);
}
const rgba = (text) => { const m = text.match(/[\d.]+/g) || [0, 0, 0, 0];
  return [Number(m[0]), Number(m[1]), Number(m[2]), m.length > 3 ? Number(m[3]) : 1]; };
const lum = ([r, g, b]) => [r, g, b].map((c) => { c /= 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
  .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
const behind = (el) => {
  for (let node = el; node; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour[3] > 0.5) return colour;
  }
  return [255, 255, 255, 1];
};
const seen = new Set();
for (const el of document.body.querySelectorAll('*')) {
  const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
  if (!text || !visible(el) || ['SCRIPT', 'STYLE', 'OPTION'].includes(el.tagName)) continue;
  const style = getComputedStyle(el);
  const fg = rgba(style.color), bg = behind(el);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
  const needed = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
  const key = style.color + '/' + bg.join(',');
  if (ratio < needed && !seen.has(key)) {
    seen.add(key);
    problems.push(`contrast ${ratio.toFixed(2)} < ${needed} for "${text.slice(0, 40)}" (${name(el)})`);
  }
}
return problems;
"""


def problems(driver: Any) -> list[str]:
    """What the check finds wrong with the page the driver shows."""
    found = driver.execute_script(CHECK)
    return [str(p) for p in found]
