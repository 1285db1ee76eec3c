// Every form control on screen (the page and any open dialog) has a name a
// screen reader says: a <label for>, a wrapping <label>, aria-label or
// aria-labelledby. Returns a description of each one without.
export async function unlabelledControls(page) {
  return page.evaluate(() => {
    const controls = [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.type !== 'hidden' && el.offsetParent !== null);
    const named = (el) => (el.labels && [...el.labels].some((l) => l.textContent.trim()))
      || el.getAttribute('aria-label')?.trim()
      || (el.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => document.getElementById(id)?.textContent.trim());
    return controls.filter((el) => !named(el)).map((el) => `${el.tagName.toLowerCase()}[${el.name || el.type || ''}] in ${el.closest('dialog, form, section')?.querySelector('h1, h2, legend')?.textContent || 'the page'}`);
  });
}
