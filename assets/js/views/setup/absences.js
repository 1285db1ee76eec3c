// A clinician's time off and extra hours: listed in the centre's zone,
// added with a date and times, time off removable.
import { get, post, del } from '../../api.js';
import { h, field, showFieldErrors, clearFieldErrors, toast, ask } from '../../dom.js';
import { formatIn, nowIn, wallToRfc, zoneName } from '../../zone.js';

const minutesOf = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The panel for one clinician; `zone` is the zone of their (first) centre. */
export async function absencesPanel(clinician, centres, zone) {
  const box = h('div', { class: 'absences' });
  const draw = async () => {
    const [off, extra] = await Promise.all([
      get(`/clinicians/${clinician.id}/time-off`).then((r) => r.data),
      get(`/clinicians/${clinician.id}/extra-availability`).then((r) => r.data),
    ]);
    const now = Date.now();
    const upcoming = (list) => list.filter((x) => new Date(x.end).getTime() > now);
    const span = (x) => `${formatIn(x.start, zone)} – ${formatIn(x.end, zone, sameDay(x, zone) ? { timeStyle: 'short' } : undefined)}`;
    box.replaceChildren(
      h('p', { class: 'muted small' }, `Times in ${zoneName(zone)}.`),
      h('h3', {}, 'Time off'),
      upcoming(off).length
        ? h('ul', { class: 'plain-list' }, upcoming(off).map((x) => h('li', { class: 'row-between' },
          h('span', {}, span(x), x.reason ? h('span', { class: 'muted' }, ` · ${x.reason}`) : null),
          h('button', {
            type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Remove time off ${span(x)}`,
            onclick: async () => {
              if (!await ask({ title: 'Remove this time off?', text: `${clinician.display_name}: ${span(x)}. They become bookable in their usual hours again.`, yes: 'Remove time off' })) return;
              await del(`/clinicians/${clinician.id}/time-off/${x.id}`);
              await draw();
              toast('Time off removed', 'success');
            },
          }, 'Remove'))))
        : h('p', { class: 'muted' }, 'None coming up.'),
      spanForm('Add time off', 'time-off', clinician, centres, zone, draw, true),
      h('h3', {}, 'Extra hours'),
      upcoming(extra).length
        ? h('ul', { class: 'plain-list' }, upcoming(extra).map((x) => h('li', {}, span(x),
          centres.length > 1 ? h('span', { class: 'muted' }, ` · ${centres.find((c) => c.id === x.centre_id)?.name || ''}`) : null,
          x.reason ? h('span', { class: 'muted' }, ` · ${x.reason}`) : null)))
        : h('p', { class: 'muted' }, 'None coming up.'),
      spanForm('Add extra hours', 'extra-availability', clinician, centres, zone, draw, false));
  };
  await draw();
  return box;
}

function sameDay(x, zone) {
  return formatIn(x.start, zone, { dateStyle: 'short' }) === formatIn(x.end, zone, { dateStyle: 'short' });
}

function spanForm(title, path, clinician, centres, zone, done, allDay) {
  const today = nowIn(zone).date;
  const input = {
    date: h('input', { type: 'date', value: today, min: today, required: true, dataset: { field: 'start' } }),
    until: h('input', { type: 'date', value: today, min: today, dataset: { field: 'end' } }),
    from: h('input', { type: 'time', value: allDay ? '' : '17:00', step: 300 }),
    to: h('input', { type: 'time', value: allDay ? '' : '19:00', step: 300 }),
    reason: h('input', { maxlength: 200, placeholder: allDay ? 'Holiday, training…' : 'Evening clinic…', dataset: { field: 'reason' } }),
    centre: h('select', { dataset: { field: 'centre_id' } }, centres.map((c) => h('option', { value: c.id }, c.name))),
  };
  const message = h('div', { class: 'form-message' });
  const form = h('form', {
    class: 'span-form', novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      message.replaceChildren();
      const startMinutes = input.from.value ? minutesOf(input.from.value) : 0;
      const endDate = input.until.value || input.date.value;
      // Without times, time off covers whole days: until the end of the last one.
      const end = input.to.value
        ? wallToRfc(endDate, minutesOf(input.to.value), zone)
        : wallToRfc(addDay(endDate), 0, zone);
      const body = { start: wallToRfc(input.date.value, startMinutes, zone), end, reason: input.reason.value.trim() || null };
      if (path === 'extra-availability') body.centre_id = Number(input.centre.value);
      try {
        await post(`/clinicians/${clinician.id}/${path}`, body);
        await done();
        toast(allDay ? 'Time off added' : 'Extra hours added', 'success');
      } catch (error) {
        if (!showFieldErrors(form, error)) message.append(h('div', { class: 'banner banner-error', role: 'alert' }, error.message));
      }
    },
  },
  h('div', { class: 'grid grid-tight' },
    field(allDay ? 'From date' : 'Date', input.date),
    allDay ? field('Until date', input.until) : null,
    field(allDay ? 'From time (optional)' : 'From', input.from),
    field(allDay ? 'Until time (optional)' : 'Until', input.to),
    !allDay && centres.length > 1 ? field('At', input.centre) : null,
    field('Reason', input.reason)),
  message,
  h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-small' }, title)));
  if (!allDay) input.until.value = '';
  return form;
}

function addDay(date) {
  const [y, m, d] = date.split('-').map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return next.toISOString().slice(0, 10);
}
