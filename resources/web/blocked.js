// Cadenas: the page shown in a blocked sub-frame (kiosk.md K18):
// kiosk://app/blocked.html?host=<host>&lang=fr|en. No bridge; the host is shown as text only.
"use strict";

// A JSON file of this folder (the kiosk:// scheme is registered with FetchApiAllowed, app/web/scheme.py).
const loadJson = (path) =>
  fetch(path).then((reply) => (reply.ok ? reply.json() : Promise.reject(new Error(`${path}: ${reply.status}`))));

async function showBlocked() {
  const query = new URLSearchParams(window.location.search);
  const language = query.get("lang") === "en" ? "en" : "fr";
  const host = query.get("host") || "";
  let strings = {};
  try {
    strings = await loadJson(`i18n/${language}.json`);
  } catch (error) {
    console.error("strings not loaded", error); // the French text of the page stays
  }
  const t = (key, fallback) => (strings[key] ?? fallback).replace("{host}", host);
  document.documentElement.lang = language;
  document.title = t("blocked.frame_title", document.title);
  const title = document.getElementById("blocked-title");
  title.textContent = t("blocked.frame_text", title.textContent);
  const hostLine = document.getElementById("blocked-host");
  hostLine.textContent = host ? t("blocked.host", "Adresse : {host}") : "";
  hostLine.hidden = !host;
  window.blockedReady = true;
}

showBlocked();
