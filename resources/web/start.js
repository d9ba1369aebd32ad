// Cadenas: the start page of the browsing pane of a free question.
// kiosk://app/start.html?search=<url with {q}>&lang=fr|en; without `search`, only the text is shown.
"use strict";

// The search URL template when it is an http(s) URL holding "{q}", else null.
function searchTemplate(query) {
  const template = query.get("search");
  if (!template || !template.includes("{q}")) return null;
  try {
    const url = new URL(template.replace("{q}", "q"));
    return url.protocol === "https:" || url.protocol === "http:" ? template : null;
  } catch {
    return null;
  }
}

// A JSON file of this folder (the kiosk:// scheme is registered with FetchApiAllowed, app/web/scheme.py).
const loadJson = (path) =>
  fetch(path).then((reply) => (reply.ok ? reply.json() : Promise.reject(new Error(`${path}: ${reply.status}`))));

async function translate(language) {
  if (language === "fr") return;
  try {
    const strings = await loadJson(`i18n/${language}.json`);
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = strings[element.dataset.i18n] ?? element.textContent;
    }
    document.title = strings["start.title"] ?? document.title;
    document.documentElement.lang = language;
  } catch (error) {
    console.error("strings not loaded", error); // the French text of the page stays
  }
}

async function showStart() {
  const query = new URLSearchParams(window.location.search);
  await translate(query.get("lang") === "en" ? "en" : "fr");
  const template = searchTemplate(query);
  const form = document.getElementById("search-form");
  form.hidden = template === null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const words = document.getElementById("search-query").value.trim();
    if (template && words) window.location.assign(template.replaceAll("{q}", encodeURIComponent(words)));
  });
  window.startReady = true;
}

showStart();
