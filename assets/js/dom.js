// A tiny element builder. Text always goes in as text nodes, never as HTML,
// so patient data cannot inject markup.
import { clinicZone } from './zone.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'style') {
      // Through CSSOM: the content security policy forbids style attributes.
      for (const declaration of String(value).split(';')) {
        const at = declaration.indexOf(':');
        if (at > 0) el.style.setProperty(declaration.slice(0, at).trim(), declaration.slice(at + 1).trim());
      }
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function mount(target, ...children) {
  target.replaceChildren();
  append(target, children);
}

/** The API's messages are lower-case phrases: shown alone, they read as a sentence. */
export const sentence = (text) => (text ? `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}` : '');

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const item = h('div', { class: `toast toast-${kind}` }, message);
  box.append(item);
  // The newest few only: a busy desk does not bury the screen in them.
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => item.remove(), 4000);
}

/** A lead source as shown everywhere: stored lower-case, shown as a label ("walk-in" → "Walk-in"). */
export function leadSourceLabel(value) {
  if (!value) return '—';
  const text = value.replace(/_/g, ' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

export function formatDate(iso) {
  if (!iso) return '—';
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** An instant in the clinic's zone (its first centre's), whatever the browser's zone. */
export function formatInstant(iso) {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: clinicZone(), hourCycle: 'h23' }) : '—';
}

export function ageFrom(iso) {
  if (!iso) return null;
  const born = new Date(iso + 'T00:00:00');
  const now = new Date();
  let age = now.getFullYear() - born.getFullYear();
  const before = now.getMonth() < born.getMonth() || (now.getMonth() === born.getMonth() && now.getDate() < born.getDate());
  if (before) age -= 1;
  return age;
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// Shows the API's field errors next to the inputs named by `data-field`.
export function showFieldErrors(form, error) {
  clearFieldErrors(form);
  const fields = error?.details?.fields || {};
  let first = null;
  for (const [name, problem] of Object.entries(fields)) {
    const input = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    const wrapper = input?.closest('.field');
    if (!input || !wrapper) continue;
    input.setAttribute('aria-invalid', 'true');
    const id = `err-${name.replace(/\W/g, '-')}`;
    input.setAttribute('aria-describedby', id);
    const message = h('p', { class: 'field-error', id }, `${labelOf(wrapper)} ${problem}`);
    wrapper.append(message);
    input.addEventListener('input', () => {
      message.remove();
      input.removeAttribute('aria-invalid');
    }, { once: true });
    first ??= input;
  }
  first?.focus();
  return Object.keys(fields).length;
}

function labelOf(wrapper) {
  return wrapper.querySelector('label')?.dataset.name || 'This field';
}

export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => {
    e.removeAttribute('aria-invalid');
    e.removeAttribute('aria-describedby');
  });
}

export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h('div', { class: 'field' },
    h('label', { for: id, dataset: { name: label } }, label),
    input,
    hint ? h('p', { class: 'hint' }, hint) : null);
}

/**
 * Whether the person has typed into `root` since it was drawn: Esc then asks
 * before throwing their typing away.
 */
export function tracksTyping(root) {
  let typed = false;
  root.addEventListener('input', () => { typed = true; });
  return { typed: () => typed, reset: () => { typed = false; } };
}

/** Asks whether to throw away what was typed; resolves true to discard. */
export const askDiscard = () => ask({ title: 'Discard what you typed?', text: 'What you entered here is not saved yet.', yes: 'Discard', no: 'Keep editing', danger: true });

/** A modal dialog in the page (never the browser's prompt or confirm); removed when closed. */
export function modal(...children) {
  const d = h('dialog', { class: 'dialog', onclose: () => d.remove() }, ...children);
  // Esc closes a dialog, but not over typing without asking.
  const typing = tracksTyping(d);
  d.addEventListener('cancel', (event) => {
    if (!typing.typed()) return;
    event.preventDefault();
    askDiscard().then((discard) => { if (discard) d.close(); else d.querySelector('input, textarea, select')?.focus(); });
  });
  // Named by its heading, so a screen reader says what the dialog is for.
  const heading = d.querySelector('h1, h2');
  if (heading) {
    heading.id ||= `dialog-title-${Math.random().toString(36).slice(2, 9)}`;
    d.setAttribute('aria-labelledby', heading.id);
  }
  document.body.append(d);
  d.showModal();
  return d;
}

/**
 * Asks a yes-or-no question in the page. Resolves true for `yes`, false for
 * `no`, Esc or closing. `warning` is shown above the buttons when given.
 */
export function ask({ title, text, warning, yes, no = 'Keep as it is', danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const d = modal(
      h('h2', {}, title),
      text ? h('p', {}, text) : null,
      warning ? h('div', { class: 'banner banner-warning', role: 'alert' }, warning) : null,
      h('div', { class: 'form-actions dialog-actions' },
        h('button', { type: 'button', class: danger ? 'btn btn-danger-solid' : 'btn btn-primary', onclick: () => { answer = true; d.close(); } }, yes),
        h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => d.close() }, no)));
    d.addEventListener('close', () => resolve(answer));
    d.querySelector('.btn-ghost')?.focus();
  });
}
