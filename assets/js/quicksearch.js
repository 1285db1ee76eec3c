// The search box in the top bar: finds anyone from any page, typos and all.
import { get, query } from './api.js';
import { h, debounce } from './dom.js';

export function quickSearch(navigate) {
  const input = h('input', {
    type: 'search', id: 'quick-search', placeholder: 'Find a patient…', autocomplete: 'off',
    role: 'combobox', 'aria-expanded': 'false', 'aria-controls': 'quick-results', 'aria-autocomplete': 'list',
    'aria-label': 'Find a patient or staff member', 'aria-keyshortcuts': 'Control+K',
  });
  const list = h('ul', { id: 'quick-results', class: 'quick-results', role: 'listbox', hidden: true });
  let hits = [];
  let active = -1;
  let latest = 0;

  const target = (hit) => {
    if (hit.type === 'patient') return `/patients/${hit.id}`;
    if (hit.patient_id) return `/patients/${hit.patient_id}`;
    return '/staff';
  };
  const KIND_LABELS = { staff: 'Staff', note: 'Note', attachment: 'File' };

  function close() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) input.setAttribute('aria-activedescendant', `quick-${index}`);
  }

  function open(hit) {
    close();
    input.value = '';
    navigate(target(hit));
  }

  function show(message) {
    list.replaceChildren(...(hits.length
      ? hits.map((hit, i) => h('li', { id: `quick-${i}`, role: 'option', 'aria-selected': 'false', onmousedown: (e) => { e.preventDefault(); open(hit); } },
        h('span', { class: 'quick-title' }, hit.title),
        h('span', { class: 'quick-sub' }, [KIND_LABELS[hit.type], hit.subtitle].filter(Boolean).join(' · '))))
      : [h('li', { class: 'quick-empty' }, message)]));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    highlight(hits.length ? 0 : -1);
  }

  const run = debounce(async () => {
    const text = input.value.trim();
    const ticket = ++latest;
    if (!text) {
      close();
      return;
    }
    try {
      const { data } = await get(`/search${query({ q: text, limit: 8 })}`);
      if (ticket !== latest) return;
      hits = data;
      show(`No one matches “${text}”.`);
    } catch (error) {
      if (ticket !== latest) return;
      hits = [];
      show(error.code === 'SEARCH_UNAVAILABLE' ? 'Search is being prepared; try again in a moment.' : error.message);
    }
  }, 120);

  input.addEventListener('input', run);
  input.addEventListener('blur', () => setTimeout(close, 100));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && hits.length) { e.preventDefault(); highlight((active + 1) % hits.length); }
    else if (e.key === 'ArrowUp' && hits.length) { e.preventDefault(); highlight((active - 1 + hits.length) % hits.length); }
    else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); open(hits[active]); }
    else if (e.key === 'Escape') { close(); input.blur(); }
  });
  return h('div', { class: 'quick-search' }, input, list);
}
