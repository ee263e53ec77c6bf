/* Quick exit: the button, or Escape pressed twice within a second, leaves this site at once.
 *
 * - location.replace() swaps this page out of the history, so Back does not lead here;
 * - this site's sessionStorage and localStorage are cleared (e.g. an unsent chat message);
 * - best effort, the server is told to forget the session (navigator.sendBeacon; no waiting).
 * Without JavaScript the button is still a plain link to the same neutral site.
 */
(function () {
  "use strict";
  var lastEscape = 0;

  function button() { return document.getElementById("quick-exit"); }

  function leave() {
    var link = button();
    if (!link) return;
    var target = link.href;
    try { sessionStorage.clear(); } catch (e) { /* storage blocked */ }
    try { localStorage.clear(); } catch (e) { /* storage blocked */ }
    try {
      if (navigator.sendBeacon && link.dataset.beacon) navigator.sendBeacon(link.dataset.beacon);
    } catch (e) { /* leave anyway */ }
    document.body.hidden = true; // nothing lingers on screen while the next page loads
    window.location.replace(target);
  }

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("#quick-exit");
    if (!link) return;
    e.preventDefault();
    leave();
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" && e.key !== "Esc") return;
    var now = Date.now();
    if (now - lastEscape < 1000) { lastEscape = 0; leave(); return; }
    lastEscape = now;
  });
})();
