/* The duty coordinator's room: refetched from the server whenever the staff socket says something
 * changed (the queue, someone's chats, a side message), keeping what the coordinator was typing. */
(function () {
  "use strict";
  var root = document.getElementById("room");
  if (!root) return;
  var live = document.getElementById("room-live"), pending = null;

  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(root.dataset.liveUrl, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var typed = {}, focused = document.activeElement && document.activeElement.id;
          Array.prototype.forEach.call(live.querySelectorAll("textarea"), function (t) { if (t.value) typed[t.id] = t.value; });
          live.innerHTML = html;
          Object.keys(typed).forEach(function (id) { var t = document.getElementById(id); if (t) t.value = typed[id]; });
          if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
        })
        .catch(function () { /* the next event refetches */ });
    }, 300);
  }

  window.DropinStaffSocket(root, function (f) {
    if (f.type === "queue" || f.type === "changed" || f.type === "side") refresh();
  }, refresh);
  // Durations and waits move on by themselves: refresh once a minute too.
  setInterval(refresh, 60000);
})();
