// Language tags (BCP 47: `cy`, `pt-BR`) as people read them ("Welsh",
// "Portuguese (Brazil)"), named by the browser's own data.
const names = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' });

/** The tags offered first when choosing a language; any other tag may be typed. */
export const COMMON_LANGUAGES = ['ar', 'bn', 'cy', 'de', 'en', 'es', 'fr', 'gu', 'hi', 'it', 'pa', 'pl', 'pt', 'pt-BR', 'ro', 'so', 'tr', 'uk', 'ur', 'zh'];

/** "Welsh" for `cy`; the tag itself when the browser does not know it. */
export function languageName(tag) {
  if (!tag) return '';
  try {
    return names.of(tag);
  } catch {
    return tag;
  }
}

/** A datalist of the common languages, for an input with `list` set to `id`. */
export function languageOptions(h, id) {
  return h('datalist', { id }, COMMON_LANGUAGES.map((tag) => h('option', { value: tag }, languageName(tag))));
}
