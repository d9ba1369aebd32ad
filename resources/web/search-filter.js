// Search-result filtering of the browsing pane (kiosk.md K17).
// Injected by the kiosk at DocumentReady in an isolated world, after Qt's qwebchannel.js and
// `window.CADENAS_ENGINES` (resources/search-engines.json). On a results page of a known engine it
// asks the kiosk's rules (`rules.check`) about every result link and hides the results whose target
// would be blocked. Clicks still go through the kiosk's filter: this only spares the candidate
// dead ends.
(function () {
  "use strict";
  // Injected twice on purpose (user script, and again at loadFinished: QtWebEngine sometimes skips the
  // user script of a page that commits in a new renderer process): run once per document.
  if (window.cadenasSearchFilter) {
    return;
  }
  window.cadenasSearchFilter = true;
  const engines = window.CADENAS_ENGINES || [];
  const engine = engines.find((e) => new RegExp(e.results_url, "i").test(location.href));
  if (!engine || typeof qt === "undefined") {
    return;
  }

  // The real target of a result link: some engines link through a redirect with the target in a parameter.
  function targetOf(link) {
    if (engine.redirect_param) {
      try {
        const inner = new URL(link.href).searchParams.get(engine.redirect_param);
        if (inner) {
          return inner;
        }
      } catch (err) {
        return link.href;
      }
    }
    return link.href;
  }

  function hide(link) {
    const box = (engine.result_selector && link.closest(engine.result_selector)) || link;
    box.hidden = true;
    box.setAttribute("aria-hidden", "true");
    box.setAttribute("data-cadenas-hidden", "1");
  }

  new QWebChannel(qt.webChannelTransport, (channel) => {
    const rules = channel.objects.rules;
    const seen = new WeakSet();
    let checked = 0;
    function scan() {
      const links = Array.from(document.querySelectorAll(engine.link_selector)).filter(
        (a) => a.href && !seen.has(a)
      );
      if (links.length === 0) {
        return;
      }
      links.forEach((a) => seen.add(a));
      rules.check(JSON.stringify(links.map(targetOf)), (reply) => {
        const verdicts = JSON.parse(reply);
        links.forEach((a, i) => {
          if (verdicts[i] !== true) {
            hide(a);
          }
        });
        checked += links.length;
        document.documentElement.setAttribute("data-cadenas-checked", String(checked));
      });
    }
    scan();
    new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  });
})();
