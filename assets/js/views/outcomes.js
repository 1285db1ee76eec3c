// Questionnaires on the patient's record: answers entered by staff, scored
// by the API, and each measure's scores over time as a small chart with its
// bands. A PHQ-9 self-harm answer is shown at the top, in red.
import { get, post } from '../api.js';
import { h, ask, field, formatDate, formatInstant, modal, sentence, showFieldErrors, clearFieldErrors, toast } from '../dom.js';
import { can } from '../session.js';
import { clinicZone, nowIn } from '../zone.js';

const SVG = 'http://www.w3.org/2000/svg';
const severityLabel = (s) => (s ? s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()) : '');

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** Scores over time: one point per response, the bands shaded behind. */
function chart(questionnaire, outcomes) {
  const [width, height, pad] = [320, 120, 18];
  const points = outcomes.points;
  const x = (i) => pad + (points.length < 2 ? (width - 2 * pad) / 2 : (i * (width - 2 * pad)) / (points.length - 1));
  const y = (score) => height - pad - (score / outcomes.max_score) * (height - 2 * pad);
  const shades = ['#ecfdf5', '#fefce8', '#fff7ed', '#fef2f2', '#fee2e2'];
  const bands = outcomes.bands.map((b, i) => svg('rect', {
    x: pad, width: width - 2 * pad, y: y(Math.min(b.max + 1, outcomes.max_score)), height: Math.max(0, y(b.min) - y(Math.min(b.max + 1, outcomes.max_score))), fill: shades[i] || '#f8fafc',
  }));
  const line = svg('polyline', { points: points.map((p, i) => `${x(i)},${y(p.score)}`).join(' '), fill: 'none', stroke: '#0f766e', 'stroke-width': 2 });
  const dots = points.map((p, i) => svg('circle', { cx: x(i), cy: y(p.score), r: 4, fill: p.flags.length ? '#b91c1c' : '#0f766e' },
    svg('title', {}, `${formatInstant(p.completed_at)}: ${p.score}${p.severity ? ` (${severityLabel(p.severity)})` : ''}`)));
  const latest = points[points.length - 1];
  return svg('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'outcome-chart', role: 'img',
    'aria-label': `${questionnaire.name}: ${points.map((p) => p.score).join(', ')} (latest ${latest.score} of ${outcomes.max_score})`,
  }, ...bands, line, ...dots);
}

const REPEATS = [[null, 'Once'], [7, 'Every week'], [14, 'Every 2 weeks'], [28, 'Every 4 weeks'], [91, 'Every 3 months']];
const repeatLabel = (days) => REPEATS.find(([d]) => d === (days ?? null))?.[1] || `Every ${days} days`;

export function outcomesCard(patient, { onChanged = () => {} } = {}) {
  if (!can('clinical_read')) return null;
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const risk = h('div', {});
  const assigned = h('div', {});
  let questionnaires = [];
  const nameOf = (id) => questionnaires.find((q) => q.id === id)?.name || id;

  async function loadAssignments() {
    const { data } = await get(`/patients/${patient.id}/questionnaire-assignments`);
    const active = data.filter((a) => a.status === 'active');
    const today = nowIn(clinicZone()).date;
    assigned.replaceChildren(active.length ? h('ul', { class: 'plain-list assignment-list', 'aria-label': 'Assigned questionnaires' }, active.map((a) => {
      const due = a.next_due_on <= today;
      return h('li', { class: 'row-between assignment' },
        h('span', {}, h('span', { class: 'strong' }, nameOf(a.questionnaire)), ' ',
          h('span', { class: 'muted small' }, `${repeatLabel(a.every_days)} · `),
          h('span', { class: due ? 'badge due-badge' : 'muted small' }, due ? `Due ${a.next_due_on === today ? 'today' : `since ${formatDate(a.next_due_on)}`}` : `Due ${formatDate(a.next_due_on)}`)),
        can('clinical_write') ? h('span', { class: 'actions' },
          h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => enter(a.questionnaire) }, 'Enter answers'),
          h('button', { class: 'btn btn-ghost btn-small', type: 'button', 'aria-label': `Stop ${nameOf(a.questionnaire)}`, onclick: () => endAssignment(a) }, 'Stop')) : null);
    })) : null);
  }

  async function endAssignment(a) {
    if (!await ask({ title: `Stop ${nameOf(a.questionnaire)}?`, text: 'It will no longer be due. Answers already entered stay.', yes: 'Stop' })) return;
    try {
      await post(`/questionnaire-assignments/${a.id}/end`);
      toast(`${nameOf(a.questionnaire)} stopped`, 'success');
      loadAssignments();
    } catch (error) {
      toast(sentence(error.message), 'error');
    }
  }

  function assign() {
    const picker = h('select', { dataset: { field: 'questionnaire' } }, questionnaires.map((q) => h('option', { value: q.id }, q.name)));
    const repeat = h('select', { dataset: { field: 'every_days' } }, REPEATS.map(([days, label]) => h('option', { value: days ?? '' }, label)));
    repeat.value = '14';
    const first = h('input', { type: 'date', dataset: { field: 'first_due_on' }, value: nowIn(clinicZone()).date });
    const message = h('div', {});
    const form = h('form', {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        message.replaceChildren();
        try {
          await post(`/patients/${patient.id}/questionnaire-assignments`, {
            questionnaire: picker.value, every_days: repeat.value ? Number(repeat.value) : null, first_due_on: first.value || null,
          });
          d.close();
          toast(`${nameOf(picker.value)} assigned`, 'success');
          loadAssignments();
        } catch (error) {
          if (!showFieldErrors(form, error)) message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
        }
      },
    },
    h('h2', {}, `Assign a questionnaire to ${patient.given_name}`),
    message,
    field('Questionnaire', picker),
    h('div', { class: 'grid' }, field('Repeat', repeat), field('First due', first)),
    h('div', { class: 'form-actions dialog-actions' },
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'Assign'),
      h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => d.close() }, 'Close')));
    const d = modal(form);
    picker.focus();
  }

  async function load() {
    try {
      questionnaires = (await get('/questionnaires')).data;
      await loadAssignments();
      const series = await Promise.all(questionnaires.map((q) => get(`/patients/${patient.id}/outcomes?questionnaire=${q.id}`)));
      const measured = questionnaires.map((q, i) => [q, series[i]]).filter(([, s]) => s.points.length);
      const flagged = series.flatMap((s) => s.points.filter((p) => p.flags.includes('self_harm_risk')));
      risk.replaceChildren(...flagged.slice(-1).map((p) => h('div', { class: 'banner banner-error risk-banner', role: 'alert' },
        h('span', { class: 'strong' }, 'Self-harm risk: '), `PHQ-9 item 9 answered above “Not at all” on ${formatInstant(p.completed_at)}. Follow the clinic’s risk procedure.`)));
      body.replaceChildren(measured.length
        ? h('div', { class: 'outcome-grid' }, measured.map(([q, s]) => {
          const latest = s.points[s.points.length - 1];
          return h('figure', { class: 'outcome' },
            h('figcaption', {}, h('span', { class: 'strong' }, q.name), ' ',
              h('span', { class: 'muted small' }, `latest ${latest.score}/${s.max_score}${latest.severity ? ` · ${severityLabel(latest.severity)}` : ''}`)),
            chart(q, s));
        }))
        : h('p', { class: 'muted' }, 'No questionnaires answered yet.'));
    } catch (error) {
      body.replaceChildren(h('p', { class: 'muted' }, sentence(error.message)));
    }
  }

  function enter(chosen) {
    const picker = h('select', { dataset: { field: 'questionnaire' } }, questionnaires.map((q) => h('option', { value: q.id, selected: q.id === chosen }, q.name)));
    const items = h('div', { class: 'questionnaire-items' });
    let selects = [];
    const draw = () => {
      const q = questionnaires.find((x) => x.id === picker.value);
      selects = q.items.map((item, i) => h('select', { dataset: { field: `answers[${i}]` } },
        h('option', { value: '' }, 'Choose…'), item.choices.map((c) => h('option', { value: c.score }, `${c.label} (${c.score})`))));
      items.replaceChildren(h('p', { class: 'muted small' }, q.instructions),
        ...q.items.map((item, i) => field(`${item.number}. ${item.text}`, selects[i])));
    };
    picker.addEventListener('change', draw);
    draw();
    const message = h('div', {});
    const form = h('form', {
      class: 'questionnaire-form', novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        message.replaceChildren();
        const missing = selects.findIndex((s) => s.value === '');
        if (missing >= 0) {
          message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, `Answer item ${missing + 1} first.`));
          selects[missing].focus();
          return;
        }
        try {
          const saved = await post(`/patients/${patient.id}/questionnaire-responses`, { questionnaire: picker.value, answers: selects.map((s) => Number(s.value)) });
          d.close();
          const name = questionnaires.find((q) => q.id === saved.questionnaire)?.name || saved.questionnaire;
          toast(`${name}: ${saved.score}${saved.severity ? ` (${severityLabel(saved.severity)})` : ''}`, saved.flags.length ? 'error' : 'success');
          load();
          onChanged();
        } catch (error) {
          if (!showFieldErrors(form, error)) message.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, sentence(error.message)));
        }
      },
    },
    h('h2', {}, 'Enter questionnaire answers'),
    message,
    field('Questionnaire', picker),
    items,
    h('div', { class: 'form-actions dialog-actions' },
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save and score'),
      h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => d.close() }, 'Close')));
    const d = modal(form);
    picker.focus();
  }

  load();
  return h('article', { class: 'card outcomes-card' },
    risk,
    h('div', { class: 'row-between' }, h('h2', {}, 'Questionnaires and outcomes'),
      can('clinical_write') && patient.status === 'active'
        ? h('div', { class: 'actions' },
          h('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: assign }, 'Assign'),
          h('button', { class: 'btn btn-primary btn-small', type: 'button', onclick: () => enter() }, 'Enter answers')) : null),
    assigned,
    body);
}
