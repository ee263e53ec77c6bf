/* Live notices on the worker's dashboard: a new or cancelled booking, a parent in the waiting room. */
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  var retry = 0, stale = false;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + live.dataset.wsPath);
    ws.onopen = function () {
      retry = 0;
      // The server's channel layer lost Redis: a notice may have been missed, so show the list afresh.
      if (stale) location.reload();
    };
    ws.onmessage = function (ev) {
      var e; try { e = JSON.parse(ev.data); } catch (x) { return; }
      if (e.kind === "waiting") {
        var row = document.querySelector('tr[data-booking="' + e.booking + '"]');
        if (row) row.classList.add("is-waiting");
        live.textContent = live.dataset.waiting || "A parent is in the waiting room.";
        // Seen from another tab too: the tab's title gets a mark until the worker looks at it.
        if (document.hidden && document.title.charAt(0) !== "●") document.title = "● " + document.title;
      } else {
        live.textContent = live.dataset.changed || "Your appointments changed. Updating…";
        setTimeout(function () { location.reload(); }, 1500);
      }
    };
    ws.onclose = function (ev) { if (ev.code === 1012) stale = true; retry = Math.min(retry + 1, 6); setTimeout(connect, 1000 * retry); };
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && document.title.charAt(0) === "●") document.title = document.title.slice(2);
  });
  connect();
})();
