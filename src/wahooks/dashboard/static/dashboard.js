// The dashboard's one script (the Content-Security-Policy allows no other, and no inline
// code). Live regions: an element with data-stream="<url>" receives server-sent
// "fragments" events, {elementId: innerHTML}, and each named child is replaced.
// Confirmations: a form with data-confirm="<question>" asks before it is sent.
"use strict";

function openStream(region) {
  const source = new EventSource(region.dataset.stream);
  source.addEventListener("fragments", (event) => {
    const fragments = JSON.parse(event.data);
    for (const [id, html] of Object.entries(fragments)) {
      const target = document.getElementById(id);
      if (target !== null) {
        target.innerHTML = html;
      }
    }
    region.dataset.updated = String(Date.now());
  });
  source.addEventListener("error", () => {
    // Closed for good (the server answered 204: signed out): reload, to the sign-in form.
    if (source.readyState === EventSource.CLOSED) {
      window.location.reload();
    }
  });
}

function confirmForms() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
}

function toggles() {
  // A select with data-toggle shows the elements whose data-when lists its value.
  for (const select of document.querySelectorAll("select[data-toggle]")) {
    const scope = select.closest("form") || document;
    const apply = () => {
      for (const el of scope.querySelectorAll("[data-when]")) {
        el.hidden = !el.dataset.when.split(" ").includes(select.value);
      }
    };
    select.addEventListener("change", apply);
    apply();
  }
}

function stickToEnd() {
  // A scrolling box with data-stick-end (a chat) shows its end, and keeps showing it as
  // live updates add to it, unless the reader scrolled up to read older parts.
  for (const box of document.querySelectorAll("[data-stick-end]")) {
    let atEnd = true;
    const toEnd = () => { box.scrollTop = box.scrollHeight; };
    box.addEventListener("scroll", () => {
      atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    });
    new MutationObserver(() => { if (atEnd) { toEnd(); } }).observe(box, { childList: true });
    toEnd();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const region of document.querySelectorAll("[data-stream]")) {
    openStream(region);
  }
  confirmForms();
  toggles();
  stickToEnd();
});
