// A clinician's private calendar feed link: shown, copied, and replaced
// (the old link stops working), for managers and for the clinician.
import { get, post } from '../../api.js';
import { h, toast, ask } from '../../dom.js';

/** Lists do not carry the link: it is read from the clinician's own record. */
export async function feedLink(clinician) {
  const own = await get(`/clinicians/${clinician.id}`).catch(() => clinician);
  const feed = h('div', { class: 'feed-link' });
  const draw = (url) => {
    const absolute = url ? new URL(url, location.origin).href : null;
    feed.replaceChildren(
      h('p', { class: 'small muted' }, 'A private link for a calendar app (Google, Apple, Outlook). Anyone with it sees the appointments.'),
      absolute ? h('input', { readonly: true, value: absolute, 'aria-label': 'Calendar feed link', onfocus: (e) => e.target.select() }) : h('p', { class: 'muted' }, 'No link yet.'),
      h('div', { class: 'form-actions' },
        absolute ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => navigator.clipboard?.writeText(absolute).then(() => toast('Link copied', 'success')) }, 'Copy link') : null,
        h('button', {
          type: 'button', class: 'btn btn-ghost btn-small',
          onclick: async () => {
            if (absolute && !await ask({ title: 'Replace the calendar link?', text: 'The current link stops working at once; calendar apps using it must be given the new one.', yes: 'Replace link' })) return;
            try {
              const link = await post(`/clinicians/${clinician.id}/calendar-token`);
              draw(link.url);
              toast('New calendar link made', 'success');
            } catch (error) {
              toast(error.message, 'error');
            }
          },
        }, absolute ? 'Replace link' : 'Make a link')));
  };
  draw(own.calendar_feed_url);
  return feed;
}
