// Language for every page: zh-CN or en, chosen from the browser, switchable, remembered.
// Pages register their dictionaries; text in the HTML is marked with data-i18n attributes.

const STORAGE_KEY = "dispatchd.lang";
export const LANGUAGES = ["zh-CN", "en"];
const dictionaries = { "zh-CN": {}, en: {} };
let current = chooseLanguage();

/** Add strings for both languages (later registrations override earlier keys). */
export function register(strings) {
  for (const lang of LANGUAGES) Object.assign(dictionaries[lang], strings[lang] || {});
}

/** The browser's preferred supported language, unless the user picked one before. */
export function chooseLanguage() {
  const stored = safeStorage()?.getItem(STORAGE_KEY);
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith("zh")) return "zh-CN";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

/** Whether a key has a translation (to show machine words only when there is none). */
export function has(key) {
  return key in dictionaries[current] || key in dictionaries.en;
}

export function language() {
  return current;
}

/** Translate a key, filling {name} placeholders; unknown keys show themselves (easy to spot). */
export function t(key, params = {}) {
  const text = dictionaries[current][key] ?? dictionaries.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** Switch language, remember it, re-translate the page and tell the views to re-render. */
export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
  safeStorage()?.setItem(STORAGE_KEY, lang);
  translatePage();
  window.dispatchEvent(new CustomEvent("languagechange-app", { detail: lang }));
}

/** Fill every data-i18n* attribute under root with the current language's text. */
export function translatePage(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n, i18nParams(el));
  for (const [attr, data] of [
    ["placeholder", "i18nPlaceholder"],
    ["aria-label", "i18nAriaLabel"],
    ["title", "i18nTitle"],
    ["alt", "i18nAlt"],
  ]) {
    for (const el of root.querySelectorAll(`[data-${kebab(data)}]`)) el.setAttribute(attr, t(el.dataset[data]));
  }
  const title = document.querySelector("meta[name=i18n-title]");
  if (title) document.title = t(title.content);
}

/**
 * A button that toggles between the two languages. It shows the other language's own name,
 * spoken in that language, followed by "switch language" (hidden) in the current one, so the
 * visible words start its accessible name and each part is read with the right voice.
 */
export function mountLanguageSwitch(button) {
  const render = () => {
    const other = current === "en" ? "zh-CN" : "en";
    const name = document.createElement("span");
    name.lang = other;
    name.textContent = other === "en" ? "English" : "中文";
    const purpose = document.createElement("span");
    purpose.className = "visually-hidden";
    purpose.textContent = ` (${t("switch_language")})`;
    button.removeAttribute("aria-label");
    button.removeAttribute("lang");
    button.replaceChildren(name, purpose);
  };
  button.addEventListener("click", () => {
    setLanguage(current === "en" ? "zh-CN" : "en");
    render();
  });
  render();
}

/**
 * Mark an element with a key and its parameters, so a later language switch re-translates it
 * like the page's own text. A parameter given as {key: "..."} is itself translated.
 */
export function translated(el, key, params = {}) {
  el.dataset.i18n = key;
  el.dataset.i18nParams = JSON.stringify(params);
  el.textContent = t(key, i18nParams(el));
  return el;
}

function i18nParams(el) {
  if (!el.dataset.i18nParams) return {};
  let raw = {};
  try {
    raw = JSON.parse(el.dataset.i18nParams);
  } catch {
    return {};
  }
  return Object.fromEntries(
    Object.entries(raw).map(([name, value]) => [name, value && typeof value === "object" ? t(value.key) : value]),
  );
}

function kebab(name) {
  return name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

function safeStorage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

register({
  "zh-CN": { switch_language: "切换语言" },
  en: { switch_language: "Switch language" },
});
