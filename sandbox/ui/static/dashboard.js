// The sandbox dashboard's only script: confirm dialogs, auto-submitting filters and live fragments.
// Without it every page still works (forms post, pages reload); it only adds polling and confirmations.
"use strict";

(function () {
  const POLL_MS = 2000;

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

  // <div data-poll="url">: replace the content with the URL's HTML every 2 s, keeping open <details>.
  async function refresh(element) {
    if (document.hidden || element.dataset.paused === "1") {
      return;
    }
    try {
      const answer = await fetch(element.dataset.poll, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { "X-Dashboard-Poll": "1" },
      });
      if (!answer.ok) {
        throw new Error("HTTP " + answer.status);
      }
      const text = await answer.text();
      if (text !== element.dataset.last) {
        const open = new Set(
          Array.from(element.querySelectorAll("details[open][data-key]"), (node) => node.dataset.key),
        );
        element.innerHTML = text;
        element.dataset.last = text;
        element.querySelectorAll("details[data-key]").forEach(function (node) {
          node.open = open.has(node.dataset.key);
        });
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
