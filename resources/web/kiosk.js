// Cadenas: the candidate page. Talks to the kiosk through one QWebChannel object, `kiosk`
// (protocol: resources/web/README.md). Server text is never parsed as HTML: every node is built
// with createElement/textContent (statements: markdown.js).
"use strict";

const LANGUAGES = ["fr", "en"];
const SECOND = 1000;

const state = {
  kiosk: null,
  strings: {},
  language: "fr",
  question: null, // the last `question` message
  timerDeadline: null, // performance.now() at which the per-question timer ends
  timerId: null,
  step: 0,
  confirm: null, // {resolve, opener} while the confirmation dialog is open
};

const $ = (id) => document.getElementById(id);

// --- strings -----------------------------------------------------------------------------------

// A JSON file of this folder (the kiosk:// scheme is registered with FetchApiAllowed, app/web/scheme.py).
const loadJson = (path) =>
  fetch(path).then((reply) => (reply.ok ? reply.json() : Promise.reject(new Error(`${path}: ${reply.status}`))));

async function loadStrings() {
  for (const language of LANGUAGES) state.strings[language] = await loadJson(`i18n/${language}.json`);
}

function t(key, params) {
  const text = state.strings[state.language]?.[key] ?? state.strings.fr?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (params && name in params ? String(params[name]) : whole));
}

// Sets a translated text and remembers its key, so a language switch can translate it again.
function setText(element, key, params) {
  element.dataset.i18n = key;
  if (params) element.dataset.i18nParams = JSON.stringify(params);
  else delete element.dataset.i18nParams;
  element.textContent = t(key, params);
}

function clearText(element) {
  delete element.dataset.i18n;
  delete element.dataset.i18nParams;
  element.textContent = "";
}

function translatePage() {
  for (const element of document.querySelectorAll("[data-i18n]")) {
    const params = element.dataset.i18nParams ? JSON.parse(element.dataset.i18nParams) : undefined;
    element.textContent = t(element.dataset.i18n, params);
  }
  document.title = t("app.title");
}

function applyLanguage(language) {
  if (!LANGUAGES.includes(language)) return;
  state.language = language;
  document.documentElement.lang = language;
  $("language-switch").lang = language === "fr" ? "en" : "fr";
  translatePage();
}

function switchLanguage() {
  const language = state.language === "fr" ? "en" : "fr";
  applyLanguage(language);
  send("set_language", { language }).then((reply) => reportFailure(reply, $("page-error")));
}

// --- bridge ------------------------------------------------------------------------------------

function connectChannel() {
  return new Promise((resolve, reject) => {
    if (typeof qt === "undefined" || !qt.webChannelTransport) {
      reject(new Error("no Qt WebChannel transport"));
      return;
    }
    new QWebChannel(qt.webChannelTransport, (channel) => resolve(channel.objects.kiosk));
  });
}

// Calls the kiosk; resolves with its reply ({ok: true, ...} or {ok: false, error, message}).
function send(op, fields = {}) {
  return new Promise((resolve) => {
    if (!state.kiosk) {
      resolve({ ok: false, error: "no_bridge", message: t("error.no_bridge") });
      return;
    }
    state.kiosk.call(JSON.stringify({ ...fields, op }), (text) => {
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve({ ok: false, error: "bad_reply", message: t("error.generic") });
      }
    });
  });
}

// Shows a failed reply's message in `area`; returns true when the reply is a failure.
function reportFailure(reply, area) {
  if (reply.ok) return false;
  area.textContent = reply.message || t("error.generic");
  return true;
}

const SCREENS = {
  preflight: renderPreflight,
  sign_in: renderSignIn,
  waiting: renderWaiting,
  instructions: renderInstructions,
  question: renderQuestion,
  end: () => {},
  technical_problem: renderTechnicalProblem,
};

const UPDATES = {
  time_left: (message) => showClock($("time-left"), message.seconds),
  connection: showConnection,
  blocked: showBlocked,
  focus_warning: () => openDialog($("focus-dialog")),
  notice: showNotice,
  locked: (message) => document.body.classList.toggle("is-locked", Boolean(message.locked)),
  browser: showBrowserState,
};

function onPushed(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    console.warn("kiosk message is not JSON", text);
    return;
  }
  try {
    if (message.type in SCREENS) {
      showScreen(message.type);
      SCREENS[message.type](message);
      // Focus the new screen's heading: screen readers announce it, Tab starts from there.
      document.querySelector(`[data-screen="${message.type}"] h1`).focus();
    } else if (message.type in UPDATES) {
      UPDATES[message.type](message);
    } else {
      console.warn("unknown kiosk message type", message.type);
    }
  } catch (error) {
    console.error("kiosk message failed", message.type, error);
  }
}

// --- screens -----------------------------------------------------------------------------------

function showScreen(name) {
  settleConfirm(false);
  if (name !== "question") stopQuestionTimer();
  $("page-error").textContent = "";
  for (const screen of document.querySelectorAll(".screen")) {
    screen.hidden = screen.dataset.screen !== name;
  }
}

function renderPreflight(message) {
  const problems = Array.isArray(message.problems) ? message.problems : [];
  $("preflight-ok").hidden = !message.ok;
  $("preflight-problems").hidden = Boolean(message.ok);
  $("preflight-list").replaceChildren(...problems.map((problem) => element("li", String(problem))));
  const versions = Object.entries(message.versions || {}).map(([name, version]) => `${name} ${version}`);
  $("preflight-versions").textContent = versions.join(" · ");
}

function renderWaiting(message) {
  const known = ["authorisation", "resume", "alert"].includes(message.reason);
  const target = $("waiting-message");
  if (known) setText(target, `waiting.${message.reason}`);
  else {
    clearText(target);
    target.textContent = message.message || t("waiting.authorisation");
  }
}

function renderTechnicalProblem(message) {
  setText($("technical-code"), "technical.code", { code: message.code ?? "?" });
  $("technical-retry").disabled = false;
}

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function setBusy(form, busy, statusElement, key) {
  for (const control of form.elements) control.disabled = busy;
  if (statusElement) {
    if (busy) setText(statusElement, key);
    else clearText(statusElement);
  }
}

// --- sign-in -----------------------------------------------------------------------------------

const SIGN_IN_TEXT_FIELDS = ["session_id", "access_code", "last_name", "first_name"];
const BIRTH_FIELDS = ["birth_day", "birth_month", "birth_year"];

function renderSignIn(message) {
  setBusy($("sign-in-form"), false, $("sign-in-busy"));
  clearSignInErrors();
  $("sign-in-resuming").hidden = !message.resuming;
  if (message.error) showSignInErrors([{ text: String(message.error) }]);
}

function clearSignInErrors() {
  $("sign-in-errors").replaceChildren();
  for (const name of [...SIGN_IN_TEXT_FIELDS, "birth_date"]) clearText($(`${name}-error`));
  for (const name of [...SIGN_IN_TEXT_FIELDS, ...BIRTH_FIELDS]) $(name).removeAttribute("aria-invalid");
}

// Reads the form; returns {request} or {errors: [{field, key}]} with a message per wrong field.
function readSignIn() {
  const value = (name) => $(name).value.trim();
  const errors = [];
  for (const name of SIGN_IN_TEXT_FIELDS) {
    if (!value(name)) errors.push({ field: name, inputs: [name], key: `sign_in.error.${name}` });
  }
  if (value("session_id") && !/^\d{1,9}$/.test(value("session_id"))) {
    errors.push({ field: "session_id", inputs: ["session_id"], key: "sign_in.error.session_id_digits" });
  }
  const [day, month, year] = BIRTH_FIELDS.map(value);
  const birthDate = isoDate(day, month, year);
  if (!day || !month || !year) {
    const missing = BIRTH_FIELDS.filter((name) => !value(name));
    errors.push({ field: "birth_date", inputs: missing, key: "sign_in.error.birth_date" });
  } else if (!birthDate) {
    errors.push({ field: "birth_date", inputs: BIRTH_FIELDS, key: "sign_in.error.birth_date_invalid" });
  }
  if (errors.length) return { errors };
  return {
    request: {
      session_id: Number.parseInt(value("session_id"), 10),
      access_code: value("access_code"),
      last_name: value("last_name"),
      first_name: value("first_name"),
      birth_date: birthDate,
    },
  };
}

// "YYYY-MM-DD" for a real calendar date between 1900 and this year, else null.
function isoDate(day, month, year) {
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return null;
  const [d, m, y] = [Number(day), Number(month), Number(year)];
  const date = new Date(Date.UTC(y, m - 1, d));
  const real = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  if (!real || y < 1900 || y > new Date().getFullYear()) return null;
  return `${year}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

function showSignInErrors(errors) {
  const items = errors.map((error) => {
    const item = element("li");
    if (error.key) setText(item, error.key);
    else item.textContent = error.text;
    return item;
  });
  const title = element("p");
  setText(title, "sign_in.error.title");
  $("sign-in-errors").replaceChildren(title, element("ul"));
  $("sign-in-errors").lastChild.replaceChildren(...items);
  for (const error of errors.filter((e) => e.field)) {
    setText($(`${error.field}-error`), error.key);
    for (const name of error.inputs) $(name).setAttribute("aria-invalid", "true");
  }
}

async function submitSignIn(event) {
  event.preventDefault();
  clearSignInErrors();
  const { request, errors } = readSignIn();
  if (errors) {
    showSignInErrors(errors);
    $(errors[0].inputs[0] || "birth_day").focus();
    return;
  }
  setBusy($("sign-in-form"), true, $("sign-in-busy"), "sign_in.busy");
  const reply = await send("sign_in", request);
  if (!reply.ok) {
    setBusy($("sign-in-form"), false, $("sign-in-busy"));
    showSignInErrors([{ text: reply.message || t("error.generic") }]);
  }
}

// --- instructions ------------------------------------------------------------------------------

function renderInstructions() {
  $("rules-accept").checked = false;
  clearText($("rules-error"));
  $("rules-submit").disabled = false;
  showStep(0, false);
}

function showStep(index, moveFocus = true) {
  const steps = document.querySelectorAll(".step");
  state.step = Math.max(0, Math.min(index, steps.length - 1));
  for (const step of steps) step.hidden = Number(step.dataset.step) !== state.step;
  setText($("instructions-progress"), "instructions.progress", { n: state.step + 1, count: steps.length });
  $("step-previous").hidden = state.step === 0;
  $("step-next").hidden = state.step === steps.length - 1;
  if (moveFocus) $(`step-${state.step}-title`).focus();
}

async function submitRules(event) {
  event.preventDefault();
  if (!$("rules-accept").checked) {
    setText($("rules-error"), "instructions.rules.required");
    $("rules-accept").focus();
    return;
  }
  clearText($("rules-error"));
  $("rules-submit").disabled = true;
  const reply = await send("accept_rules");
  if (reportFailure(reply, $("rules-error"))) $("rules-submit").disabled = false;
}

// --- question ----------------------------------------------------------------------------------

function renderQuestion(message) {
  const challenge = message.challenge || {};
  const previous = state.question;
  const same = previous?.challenge?.id === challenge.id && previous?.number === message.number;
  state.question = message;
  setText($("question-title"), "question.title", { n: message.number, count: message.count });
  showClock($("time-left"), message.seconds_left);
  startQuestionTimer(message.timer_seconds_left);
  renderMarker(Boolean(challenge.focused));
  setBusy($("answer-form"), false, $("answer-busy"));
  clearText($("answer-error"));
  for (const id of ["question-skip", "question-report"]) $(id).disabled = false;
  if (same) return; // the same question again (alert dismissed, reconnection): keep what was typed
  $("question-statement").replaceChildren(...renderMarkdown(challenge.statement || ""));
  renderEmbed(challenge.embed);
  renderAttachments(challenge);
  $("answer-fields").replaceChildren(renderAnswerFields(challenge));
}

function renderMarker(focused) {
  $("question-marker").className = `marker-name ${focused ? "marker-focus" : "marker-free"}`;
  setText($("question-marker-text"), focused ? "marker.focus" : "marker.free");
  setText($("question-mode-hint"), focused ? "question.focus_hint" : "question.free_hint");
  $("question-mode-hint").className = `note marker ${focused ? "marker-focus" : "marker-free"}`;
  $("question-browser-row").hidden = focused;
  showBrowserState({ open: false });
}

function renderEmbed(embed) {
  const holder = $("question-embed");
  holder.replaceChildren();
  if (!embed || typeof embed.url !== "string" || !/^https:\/\//.test(embed.url)) return;
  const frame = element("iframe", undefined, {
    src: embed.url,
    title: embed.title || t("question.embed"),
    class: "embed",
    height: String(Math.min(Math.max(Number(embed.height) || 400, 200), 900)),
    sandbox: "allow-scripts allow-forms",
  });
  holder.append(frame);
}

function renderAttachments(challenge) {
  const attachments = Array.isArray(challenge.attachments) ? challenge.attachments : [];
  $("question-attachments").hidden = attachments.length === 0;
  $("question-attachments-focused").hidden = !challenge.focused;
  const items = attachments.map(({ name }) => {
    if (challenge.focused) return element("li", name);
    const button = element("button", undefined, { type: "button", class: "button-secondary" });
    setText(button, "question.open_attachment", { name });
    button.addEventListener("click", () => openAttachment(name));
    const item = element("li");
    item.append(button);
    return item;
  });
  $("question-attachment-list").replaceChildren(...items);
}

async function openAttachment(name) {
  announce("question.opening", { name });
  reportFailure(await send("open_attachment", { name }), $("answer-error"));
}

function showBrowserState(message) {
  const button = $("question-browser");
  button.dataset.open = message.open ? "true" : "false";
  setText(button, message.open ? "question.close_browser" : "question.open_browser");
}

async function toggleBrowser() {
  const open = $("question-browser").dataset.open === "true";
  reportFailure(await send(open ? "close_browser" : "open_browser"), $("answer-error"));
}

// The answer inputs of a challenge; each input is labelled.
function renderAnswerFields(challenge) {
  if (challenge.type === "QCU" || challenge.type === "QCM") return renderChoices(challenge);
  return renderTemplate(challenge);
}

function renderChoices(challenge) {
  const single = challenge.type === "QCU";
  const fieldset = element("fieldset");
  const legend = element("legend");
  setText(legend, single ? "question.choose_one" : "question.choose_many");
  const list = element("ul", undefined, { class: "choices" });
  (challenge.options || []).forEach((option, index) => {
    const id = `choice-${index + 1}`;
    const type = single ? "radio" : "checkbox";
    const input = element("input", undefined, { type, name: "choice", id, value: String(index + 1) });
    const label = element("label", undefined, { for: id });
    label.append(...renderInline(String(option)));
    const item = element("li", undefined, { class: "choice" });
    item.append(input, label);
    list.append(item);
  });
  fieldset.append(legend, list);
  return fieldset;
}

const FIELD_PATTERN = /\{\{\s*([a-z][a-z0-9_]*)\s*(?::([^}]*))?\}\}/g;

// A QROC/QROCM template: its text, with each {{key}} replaced by a labelled input or select.
function renderTemplate(challenge) {
  const fields = new Map((challenge.fields || []).map((field) => [field.key, field]));
  const container = element("div", undefined, { class: "template" });
  let count = 0;
  for (const line of String(challenge.proposals || "").split("\n")) {
    if (!line.trim()) continue;
    const paragraph = element("p");
    let last = 0;
    for (const match of line.matchAll(FIELD_PATTERN)) {
      const before = line.slice(last, match.index);
      paragraph.append(...renderInline(before));
      count += 1;
      const choices = match[2] ? match[2].split("|").map((c) => c.trim()).filter(Boolean) : [];
      const field = fields.get(match[1]) || { key: match[1], kind: choices.length ? "select" : "text", choices };
      paragraph.append(renderField(field, labelFor(before, count)));
      last = match.index + match[0].length;
    }
    paragraph.append(...renderInline(line.slice(last)));
    container.append(paragraph);
  }
  return container;
}

// The visible words just before a field name it; otherwise "Réponse n".
function labelFor(before, count) {
  const words = before.replace(/[*_`]/g, "").replace(/^\s*-\s+/, "").trim();
  return words || t("question.field", { n: count });
}

function renderField(field, label) {
  const attributes = { id: `field-${field.key}`, name: field.key, "data-key": field.key, "aria-label": label };
  if (field.kind === "select") {
    const select = element("select", undefined, attributes);
    const placeholder = element("option", undefined, { value: "" });
    setText(placeholder, "question.select");
    select.append(placeholder, ...(field.choices || []).map((choice) => element("option", choice, { value: choice })));
    return select;
  }
  return element("input", undefined, { ...attributes, type: "text", autocomplete: "off", spellcheck: "false" });
}

function fieldValues() {
  const values = {};
  for (const control of $("answer-form").querySelectorAll("[data-key]")) {
    values[control.dataset.key] = control.value.trim();
  }
  return values;
}

// The answer value of the protocol ("2", "1,3", a text, or {key: text}) and whether it is complete.
function readAnswer(challenge) {
  if (challenge.type === "QCU" || challenge.type === "QCM") {
    const checked = [...$("answer-form").querySelectorAll('input[name="choice"]:checked')];
    const value = checked.map((input) => Number(input.value)).sort((a, b) => a - b).join(",");
    return { value, complete: value !== "" };
  }
  const values = fieldValues();
  if (challenge.type === "QROC") {
    const value = Object.values(values)[0] ?? "";
    return { value, complete: value !== "" };
  }
  return { value: values, complete: Object.values(values).every(Boolean) };
}

async function submitAnswer(event) {
  event.preventDefault();
  const challenge = state.question?.challenge;
  if (!challenge || $("answer-submit").disabled) return;
  const { value, complete } = readAnswer(challenge);
  // Spec engine §7.8: an empty answer is accepted only once the question's own timer is over.
  if (!complete && !timerIsOver()) {
    setText($("answer-error"), `question.error.${challenge.type}`);
    return;
  }
  clearText($("answer-error"));
  lockQuestion(true);
  const reply = await send("answer", { value });
  if (reportFailure(reply, $("answer-error"))) lockQuestion(false);
}

// While an answer, skip or report is on its way, nothing else can be sent (no double submit).
function lockQuestion(busy) {
  setBusy($("answer-form"), busy, $("answer-busy"), "question.sending");
  for (const id of ["question-skip", "question-report"]) $(id).disabled = busy;
}

async function confirmThenSend(kind, op) {
  const confirmed = await confirmDialog(kind);
  if (!confirmed) return;
  lockQuestion(true);
  if (reportFailure(await send(op), $("answer-error"))) lockQuestion(false);
}

// --- clocks ------------------------------------------------------------------------------------

function formatClock(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds) || 0));
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}

function showClock(target, seconds) {
  target.textContent = formatClock(seconds);
  const previous = Number(target.dataset.seconds);
  target.dataset.seconds = String(seconds);
  for (const [limit, key] of [[300, "time.five_minutes"], [60, "time.one_minute"]]) {
    if (target.id === "time-left" && previous > limit && seconds <= limit) announce(key);
  }
}

function startQuestionTimer(secondsLeft) {
  stopQuestionTimer();
  const hasTimer = typeof secondsLeft === "number";
  $("question-timer").hidden = !hasTimer;
  $("question-timer").classList.remove("is-over");
  if (!hasTimer) return;
  state.timerDeadline = performance.now() + secondsLeft * SECOND;
  showClock($("timer-left"), secondsLeft);
  state.timerId = setInterval(tickQuestionTimer, SECOND / 4);
}

function tickQuestionTimer() {
  const seconds = Math.max(0, Math.ceil((state.timerDeadline - performance.now()) / SECOND));
  if (String(seconds) !== $("timer-left").dataset.seconds) showClock($("timer-left"), seconds);
  if (seconds <= 0) {
    clearInterval(state.timerId);
    state.timerId = null;
    $("question-timer").classList.add("is-over");
    announce("time.question_over");
  }
}

function timerIsOver() {
  return state.timerDeadline !== null && performance.now() >= state.timerDeadline;
}

function stopQuestionTimer() {
  if (state.timerId !== null) clearInterval(state.timerId);
  state.timerId = null;
  state.timerDeadline = null;
}

function announce(key, params) {
  setText($("announcer"), key, params);
}

// --- dialogs (overlays) ------------------------------------------------------------------------

function openDialog(dialog) {
  if (!dialog.open) dialog.showModal();
}

// Resolves true when the candidate confirms, false on "Annuler", Escape or a screen change.
// (Resolved from the buttons, not from the dialog's `close` event, which a hidden page may delay.)
function confirmDialog(kind) {
  settleConfirm(false);
  setText($("confirm-title"), `confirm.${kind}.title`);
  setText($("confirm-text"), `confirm.${kind}.text`);
  setText($("confirm-ok"), `confirm.${kind}.ok`);
  const opener = document.activeElement;
  return new Promise((resolve) => {
    state.confirm = { resolve, opener };
    openDialog($("confirm-dialog"));
    $("confirm-cancel").focus();
  });
}

function settleConfirm(confirmed) {
  const dialog = $("confirm-dialog");
  if (dialog.open) dialog.close();
  const pending = state.confirm;
  state.confirm = null;
  if (!pending) return;
  if (pending.opener && document.contains(pending.opener)) pending.opener.focus();
  pending.resolve(confirmed);
}

function showConnection(message) {
  const dialog = $("connection-dialog");
  if (message.state !== "lost") {
    if (dialog.open) dialog.close();
    return;
  }
  setText($("connection-text"), message.saved ? "connection.saved" : "connection.retrying");
  openDialog(dialog);
  $("connection-title").focus();
}

function showBlocked(message) {
  setText($("blocked-host"), "blocked.host", { host: String(message.host || "") });
  openDialog($("blocked-dialog"));
}

function showNotice(message) {
  $("notice-text").textContent = String(message.message || "");
  openDialog($("notice-dialog"));
}

// --- start-up ----------------------------------------------------------------------------------

function bindEvents() {
  $("language-switch").addEventListener("click", switchLanguage);
  $("sign-in-form").addEventListener("submit", submitSignIn);
  $("rules-form").addEventListener("submit", submitRules);
  $("answer-form").addEventListener("submit", submitAnswer);
  $("step-next").addEventListener("click", () => showStep(state.step + 1));
  $("step-previous").addEventListener("click", () => showStep(state.step - 1));
  $("question-browser").addEventListener("click", toggleBrowser);
  $("question-skip").addEventListener("click", () => confirmThenSend("skip", "skip"));
  $("question-report").addEventListener("click", () => confirmThenSend("report", "report_problem"));
  $("confirm-cancel").addEventListener("click", () => settleConfirm(false));
  $("confirm-ok").addEventListener("click", () => settleConfirm(true));
  $("confirm-dialog").addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: the same as "Annuler"
    settleConfirm(false);
  });
  // The connection overlay goes away only when the kiosk says the connection is back.
  $("connection-dialog").addEventListener("cancel", (event) => event.preventDefault());
  const overlays = { "blocked-back": "blocked-dialog", "focus-ok": "focus-dialog", "notice-ok": "notice-dialog" };
  for (const [button, dialog] of Object.entries(overlays)) $(button).addEventListener("click", () => $(dialog).close());
  for (const retry of ["preflight-retry", "technical-retry"]) {
    $(retry).addEventListener("click", async (event) => {
      event.currentTarget.disabled = true;
      const reply = await send("retry");
      $(retry).disabled = false;
      reportFailure(reply, $("page-error"));
    });
  }
  // Hints only (kiosk.md K65): the kiosk's own signals are the proof of a focus loss. Focus moving
  // into an embedded frame blurs the window too, but the document keeps the focus: no hint then.
  window.addEventListener("blur", () => setTimeout(() => document.hasFocus() || send("blur"), 0));
  window.addEventListener("focus", () => send("focus"));
}

async function start() {
  bindEvents();
  try {
    await loadStrings();
    applyLanguage("fr");
  } catch (error) {
    console.error("strings not loaded", error);
  }
  try {
    state.kiosk = await connectChannel();
  } catch (error) {
    console.error("kiosk bridge unavailable", error);
    setText($("loading-text"), "error.no_bridge");
    return;
  }
  state.kiosk.pushed.connect(onPushed);
  const reply = await send("ready");
  if (reply.ok && reply.language) applyLanguage(reply.language);
  window.kioskReady = true;
}

start();
