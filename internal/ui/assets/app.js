// Tocsin's pages work without this script; it only makes them handier:
// copy buttons, a confirmation before forms that say data-confirm, and
// live pages (data-live names a server-sent events URL; an event reloads
// the page unless the person is typing in a form).
"use strict";
document.addEventListener("click", function (e) {
  var b = e.target.closest("button[data-copy]");
  if (!b) return;
  var src = document.getElementById(b.getAttribute("data-copy"));
  if (!src || !navigator.clipboard) return;
  navigator.clipboard.writeText(src.textContent).then(function () {
    var was = b.textContent;
    b.textContent = "Copied";
    setTimeout(function () { b.textContent = was; }, 1500);
  });
});
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (b) { b.hidden = false; });
  var live = document.querySelector("[data-live]");
  if (!live || !window.EventSource) return;
  var es = new EventSource(live.getAttribute("data-live"));
  es.addEventListener("changed", function () {
    var a = document.activeElement;
    if (a && (a.tagName === "TEXTAREA" || a.tagName === "INPUT") && a.value) return;
    es.close();
    location.reload();
  });
});
