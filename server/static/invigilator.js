/* The invigilator's live page: polls the session state every 2 s and sends the actions.
 *
 * Rows are rebuilt only when what they show changes (the time left is updated in place), and the
 * focused button is given its focus back, so keyboard users are not thrown out every two seconds.
 * All text is set with textContent: nothing from the server is parsed as HTML.
 */
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("invigilator-config").textContent);
  const base = "/invigilator/sessions/" + config.session_id;
  const tbody = document.querySelector("#candidates tbody");
  const alertList = document.getElementById("alerts");
  const signatures = new Map();
  let knownAlerts = null;
  let sessionOpen = true;
  let inFlight = false;
  let again = false;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function badge(text, kind) {
    return el("span", { class: "badge" + (kind ? " " + kind : ""), text: text });
  }

  function clockTime(iso) {
    return new Date(iso).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function frenchDate(iso) {
    const [y, m, d] = iso.split("-");
    return d + "/" + m + "/" + y;
  }

  function duration(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h > 0) return h + " h " + String(m).padStart(2, "0") + " min";
    return m + " min " + String(s).padStart(2, "0") + " s";
  }

  function fullName(c) {
    return c.first_name + " " + c.last_name;
  }

  function feedback(message, kind) {
    const node = document.getElementById("feedback");
    node.textContent = message;
    node.className = "flash " + (kind || "info");
    node.hidden = false;
  }

  async function post(path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(base + path, {
      method: "POST",
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (err) {
      data = {};
    }
    if (response.status === 401) window.location.href = "/invigilator/login?session=" + config.session_id;
    if (!response.ok) throw new Error(data.message || "Erreur " + response.status);
    return data;
  }

  async function act(path, body, after) {
    try {
      const data = await post(path, body);
      feedback(data.message, "ok");
      if (after) after(data);
    } catch (err) {
      feedback(err.message, "error");
    }
    refresh();
  }

  /* --- actions ---------------------------------------------------------------------------- */

  function authorise(c) {
    act("/candidates/" + c.id + "/authorisation");
  }

  function endTest(c) {
    const question = "Terminer le test de " + fullName(c) + " ? Ses réponses déjà données comptent ; il ne pourra plus répondre.";
    if (window.confirm(question)) act("/candidates/" + c.id + "/end");
  }

  function unlock(c) {
    act("/candidates/" + c.id + "/unlock");
  }

  function lock(c) {
    if (window.confirm("Verrouiller le poste de " + fullName(c) + " ? Il ne pourra plus répondre jusqu'au déverrouillage.")) {
      act("/candidates/" + c.id + "/lock");
    }
  }

  function showCode(c) {
    act("/candidates/" + c.id + "/unlock-code", undefined, function (data) {
      document.getElementById("code-for").textContent =
        "Kiosque de " + fullName(c) + (data.kiosk_name ? " (" + data.kiosk_name + ")" : "") + ", verrouillage n° " + data.lock_counter;
      document.getElementById("code-value").textContent = data.code;
      document.getElementById("code-dialog").showModal();
    });
  }

  let messageTarget = null;
  function openMessage(c) {
    messageTarget = c;
    document.getElementById("message-for").textContent = "Pour le kiosque de " + fullName(c) + ".";
    document.getElementById("message-text").value = "";
    document.getElementById("message-dialog").showModal();
  }

  document.getElementById("message-form").addEventListener("submit", function (event) {
    event.preventDefault();
    const text = document.getElementById("message-text").value.trim();
    if (!text || !messageTarget) return;
    document.getElementById("message-dialog").close();
    act("/candidates/" + messageTarget.id + "/messages", { text: text });
  });
  document.getElementById("message-cancel").addEventListener("click", function () {
    document.getElementById("message-dialog").close();
  });

  /* --- candidates ------------------------------------------------------------------------- */

  function stateCell(c) {
    const kind = { ended: "", in_progress: "ok", authorised: "ok", waiting: "warn", enrolled: "" }[c.state];
    const parts = [badge(c.state_label, kind)];
    if (c.course && c.state !== "in_progress" && !c.course.ended) parts.push(el("div", { text: "Question " + c.course.question + "/" + c.course.total }));
    if (c.course && c.course.ended) parts.push(el("div", { class: "muted", text: c.course.answered + " réponse(s) retenue(s)" }));
    for (const a of c.alerts) parts.push(el("div", {}, badge("Signalement en cours (question " + a.question_number + ")", "bad")));
    return el("td", {}, parts);
  }

  function kioskCell(c) {
    const k = c.kiosk;
    if (!k) return el("td", { class: "muted", text: "Aucun kiosque" });
    const parts = [];
    if (k.connected) parts.push(badge("Connecté", "ok"));
    else parts.push(badge("Absent", "bad"), el("div", { class: "muted", text: k.last_seen_at ? "dernier signal à " + clockTime(k.last_seen_at) : "jamais vu" }));
    parts.push(el("div", {}, k.locked ? badge("Verrouillé", "bad") : badge("Déverrouillé")));
    if (k.screens !== null) parts.push(el("div", {}, badge(k.screens + " écran" + (k.screens > 1 ? "s" : ""), k.screens > 1 ? "warn" : "")));
    if (k.name) parts.push(el("div", { class: "muted", text: k.name }));
    return el("td", {}, parts);
  }

  function eventsCell(c) {
    if (!c.events.length) return el("td", { class: "muted", text: "—" });
    return el("td", {}, el("ul", {}, c.events.map(function (e) {
      return el("li", {}, el("time", { datetime: e.at, text: clockTime(e.at) }), " " + e.label + (e.detail ? " (" + e.detail + ")" : ""));
    })));
  }

  function actionsCell(c) {
    const who = fullName(c);
    const buttons = [];
    if (sessionOpen) {
      const ended = c.course && c.course.ended;
      if (!ended && c.state !== "authorised" && c.state !== "enrolled") {
        const verb = c.course ? "reprise" : "démarrage";
        buttons.push(el("button", { type: "button", class: c.course ? "secondary" : null, "data-action": "authorise", "aria-label": "Autoriser le " + verb + " : " + who, onclick: function () { authorise(c); }, text: "Autoriser le " + verb }));
      }
      if (c.kiosk && c.kiosk.locked) {
        buttons.push(el("button", { type: "button", class: "secondary", "data-action": "unlock", "aria-label": "Déverrouiller à distance le kiosque de " + who, onclick: function () { unlock(c); }, text: "Déverrouiller à distance" }));
        buttons.push(el("button", { type: "button", class: "secondary", "data-action": "code", "aria-label": "Afficher un code de déverrouillage pour " + who, onclick: function () { showCode(c); }, text: "Code de déverrouillage" }));
      }
      if (c.kiosk && !c.kiosk.locked && c.course && !ended) {
        buttons.push(el("button", { type: "button", class: "secondary", "data-action": "lock", "aria-label": "Verrouiller le poste de " + who, onclick: function () { lock(c); }, text: "Verrouiller le poste" }));
      }
      if (c.kiosk) buttons.push(el("button", { type: "button", class: "secondary", "data-action": "message", "aria-label": "Envoyer un message à " + who, onclick: function () { openMessage(c); }, text: "Envoyer un message" }));
      if (c.course && !ended) buttons.push(el("button", { type: "button", class: "danger", "data-action": "end", "aria-label": "Terminer le test de " + who, onclick: function () { endTest(c); }, text: "Terminer le test" }));
    }
    return el("td", {}, el("div", { class: "actions" }, buttons.length ? buttons : el("span", { class: "muted", text: "—" })));
  }

  function timeText(c) {
    return c.course && !c.course.ended ? duration(c.course.seconds_left) : "—";
  }

  function signature(c) {
    const course = c.course ? Object.assign({}, c.course, { seconds_left: 0 }) : null;
    const kiosk = c.kiosk ? Object.assign({}, c.kiosk, { last_seen_at: c.kiosk.connected ? null : c.kiosk.last_seen_at }) : null;
    return JSON.stringify([c, course, kiosk, sessionOpen], function (key, value) {
      return key === "course" || key === "kiosk" ? undefined : value;
    });
  }

  function fillRow(row, c) {
    const focused = row.contains(document.activeElement) ? document.activeElement.dataset.action || "row" : null;
    const nameCell = el("th", { scope: "row", tabindex: "-1" }, el("strong", { text: c.last_name.toUpperCase() + " " + c.first_name }), el("div", { class: "muted", text: "né(e) le " + frenchDate(c.birth_date) }));
    const needs = [];
    if (c.extra_time_percentage > 0) needs.push(el("div", { text: "Temps majoré : " + Math.round(c.extra_time_percentage * 100) + " %" }));
    if (c.accessibility_adjustment) needs.push(el("div", {}, badge("Aménagement d'accessibilité", "warn")));
    row.replaceChildren(
      nameCell,
      el("td", {}, needs.length ? needs : el("span", { class: "muted", text: "—" })),
      stateCell(c),
      el("td", { class: "time-left", text: timeText(c) }),
      kioskCell(c),
      eventsCell(c),
      actionsCell(c),
    );
    row.classList.toggle("has-alert", c.alerts.length > 0);
    if (focused) (row.querySelector('[data-action="' + focused + '"]') || nameCell).focus();
  }

  function renderCandidates(candidates) {
    const seen = new Set();
    let previous = null;
    for (const c of candidates) {
      seen.add(String(c.id));
      let row = tbody.querySelector('tr[data-candidate-id="' + c.id + '"]');
      if (!row) row = el("tr", { "data-candidate-id": c.id });
      const sig = signature(c);
      if (signatures.get(c.id) !== sig) {
        fillRow(row, c);
        signatures.set(c.id, sig);
      } else {
        row.querySelector(".time-left").textContent = timeText(c);
      }
      const expected = previous ? previous.nextSibling : tbody.firstChild;
      if (row !== expected) tbody.insertBefore(row, expected);
      previous = row;
    }
    for (const row of Array.from(tbody.rows)) {
      if (!seen.has(row.dataset.candidateId)) row.remove();
    }
    const counts = {};
    for (const c of candidates) counts[c.state] = (counts[c.state] || 0) + 1;
    const words = { enrolled: "pas connecté(s)", waiting: "en attente", authorised: "autorisé(s)", in_progress: "en cours", ended: "terminé(s)" };
    const parts = Object.keys(words).filter(function (k) { return counts[k]; }).map(function (k) { return counts[k] + " " + words[k]; });
    document.getElementById("summary").textContent = candidates.length + " candidat(s)" + (parts.length ? " : " + parts.join(", ") : "");
  }

  /* --- live alerts ------------------------------------------------------------------------ */

  function alertCard(a) {
    const selectId = "motif-" + a.id;
    const select = el("select", { id: selectId, name: "subcategory" },
      el("option", { value: "", text: "Choisir un motif…" }),
      config.subcategories.map(function (pair) { return el("option", { value: pair[0], text: pair[1] }); }));
    function validate() {
      if (!select.value) {
        feedback("Choisissez un motif avant de valider le signalement de " + a.candidate_name + ".", "error");
        select.focus();
        return;
      }
      act("/alerts/" + a.id + "/validation", { subcategory: select.value });
    }
    const flags = a.flags.length ? " · " + a.flags.join(", ") : "";
    return el("li", { class: "alert-card", "data-alert-id": a.id },
      el("h3", { text: a.candidate_name + " · question " + a.question_number }),
      el("p", { class: "muted" }, "Signalé à ", el("time", { datetime: a.created_at, text: clockTime(a.created_at) }), flags),
      sessionOpen ? el("div", { class: "controls" },
        el("div", {}, el("label", { for: selectId, text: "Motif" }), select),
        el("button", { type: "button", "data-action": "validate", onclick: validate, text: "Valider : nouvelle question" }),
        el("button", { type: "button", class: "secondary", "data-action": "dismiss", onclick: function () { act("/alerts/" + a.id + "/dismissal"); }, text: "Refuser : même question" })) : null);
  }

  function renderAlerts(alerts) {
    const ids = new Set(alerts.map(function (a) { return String(a.id); }));
    for (const card of Array.from(alertList.children)) {
      if (ids.has(card.dataset.alertId)) continue;
      if (card.contains(document.activeElement)) document.getElementById("titre-signalements").focus();
      card.remove();
    }
    const fresh = [];
    for (const a of alerts) {
      if (!alertList.querySelector('[data-alert-id="' + a.id + '"]')) {
        alertList.append(alertCard(a));
        if (knownAlerts !== null && !knownAlerts.has(a.id)) fresh.push(a);
      }
    }
    knownAlerts = new Set(alerts.map(function (a) { return a.id; }));
    document.getElementById("alert-count").textContent = String(alerts.length);
    document.getElementById("alert-count").className = "badge" + (alerts.length ? " bad" : "");
    document.getElementById("no-alerts").hidden = alerts.length > 0;
    if (fresh.length) {
      document.getElementById("announcer").textContent = fresh.map(function (a) {
        return "Nouveau signalement : " + a.candidate_name + ", question " + a.question_number + ".";
      }).join(" ");
    }
  }

  /* --- polling ---------------------------------------------------------------------------- */

  async function refresh() {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    const status = document.getElementById("sync-status");
    try {
      const response = await fetch(base + "/state", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.status === 401 || response.status === 403) {
        window.location.href = "/invigilator/login?session=" + config.session_id;
        return;
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      const state = await response.json();
      sessionOpen = state.session.status === "created";
      renderAlerts(state.alerts);
      renderCandidates(state.candidates);
      status.textContent = "Mis à jour à " + clockTime(state.now);
      status.className = "";
    } catch (err) {
      if (status.className !== "error") document.getElementById("announcer").textContent = "Connexion au serveur perdue.";
      status.textContent = "Connexion au serveur perdue, nouvel essai…";
      status.className = "error";
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  function loop() {
    refresh().finally(function () {
      window.setTimeout(loop, config.poll_ms);
    });
  }

  loop();
})();
