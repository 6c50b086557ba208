// The sandbox dashboard's only script: confirm dialogs, auto-submitting filters, live fragments and
// live pages. Without it every page still works (forms post, pages reload); it only adds polling and
// confirmations.
"use strict";

(function () {
  const POLL_MS = 2000;
  const PAGE_POLL_MS = 1000;

  // <form data-confirm="question">: ask before posting.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    form.classList.add("busy");
  });

  // <select data-autosubmit>: filtering on change, no extra click.
  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field.matches("select[data-autosubmit]") && field.form) {
      field.form.requestSubmit();
    }
  });

  function indicator(element) {
    return document.querySelector('[data-live-for="' + element.id + '"]');
  }

  function show(element, state) {
    const badge = indicator(element);
    if (badge) {
      badge.textContent = state;
      badge.className = "live " + (state === "live" ? "" : state);
    }
  }

  // New HTML for an element, the <details data-key> the user had open staying open.
  function replaceKeepingOpen(element, html) {
    const open = new Set(
      Array.from(element.querySelectorAll("details[open][data-key]"), (node) => node.dataset.key),
    );
    element.innerHTML = html;
    element.querySelectorAll("details[data-key]").forEach(function (node) {
      node.open = open.has(node.dataset.key);
    });
  }

  // The HTML at `url` as the dashboard's polls ask for it; an answer other than 2xx throws.
  async function poll(url) {
    const answer = await fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Dashboard-Poll": "1" },
    });
    if (!answer.ok) {
      throw new Error("HTTP " + answer.status);
    }
    return answer.text();
  }

  // <div data-poll="url">: replace the content with the URL's HTML every 2 s, keeping open <details>.
  async function refresh(element) {
    if (document.hidden || element.dataset.paused === "1") {
      return;
    }
    try {
      const text = await poll(element.dataset.poll);
      if (text !== element.dataset.last) {
        replaceKeepingOpen(element, text);
        element.dataset.last = text;
      }
      show(element, "live");
    } catch (problem) {
      show(element, "offline");
    }
  }

  document.querySelectorAll("[data-poll]").forEach(function (element) {
    window.setInterval(function () {
      refresh(element);
    }, POLL_MS);
  });

  // <main data-live>: every second, fetch this page again and swap each [data-live-region] whose HTML
  // changed, so a timed step, an advance from the API or a 3-D answer shows without a reload. A region
  // the user is typing or choosing in is left alone until they leave it; open <details> stay open, and
  // nothing else on the page (scroll, filters, a half-filled form) is touched.
  const livePage = document.querySelector("main[data-live]");
  const seen = new Map();
  let fetching = false;

  function key(region) {
    return region.dataset.liveRegion;
  }

  async function refreshPage() {
    if (document.hidden || fetching) {
      return;
    }
    fetching = true;
    try {
      const fresh = new DOMParser().parseFromString(await poll(window.location.href), "text/html");
      fresh.querySelectorAll("[data-live-region]").forEach(function (incoming) {
        const region = document.querySelector('[data-live-region="' + key(incoming) + '"]');
        const html = incoming.innerHTML;
        if (!region || seen.get(key(incoming)) === html) {
          return;
        }
        const active = document.activeElement;
        if (region.contains(active) && active.matches("input, select, textarea")) {
          return;
        }
        replaceKeepingOpen(region, html);
        seen.set(key(incoming), html);
      });
      show(livePage, "live");
    } catch (problem) {
      show(livePage, "offline");
    } finally {
      fetching = false;
    }
  }

  if (livePage) {
    // What the page was rendered with, as the parser serializes it: the first poll swaps only changes.
    const first = new DOMParser().parseFromString(document.documentElement.outerHTML, "text/html");
    first.querySelectorAll("[data-live-region]").forEach(function (region) {
      seen.set(key(region), region.innerHTML);
    });
    window.setInterval(refreshPage, PAGE_POLL_MS);
  }

  // <button data-pause="element id">: stop and restart a live list (to read it calmly).
  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-pause]");
    if (!button) {
      return;
    }
    const element = document.getElementById(button.dataset.pause);
    const paused = element.dataset.paused === "1";
    element.dataset.paused = paused ? "0" : "1";
    button.textContent = paused ? "Pause" : "Resume";
    show(element, paused ? "live" : "paused");
    if (paused) {
      refresh(element);
    }
  });
})();
