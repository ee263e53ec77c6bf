/* The drop-in desk: the person on duty's chats side by side (each an <iframe> of the chat page),
 * the queue and "take the next parent", the side channel to the coordinator. Live over the staff
 * socket; what the desk shows is refetched from the server (desk-state), never built here. */
(function () {
  "use strict";
  var root = document.getElementById("desk");
  if (!root) return;
  var panels = document.getElementById("panels"), errorEl = document.getElementById("desk-error");
  var pending = null;

  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(root.dataset.stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) { if (state) apply(state); })
        .catch(function () { /* the next event or reconnect refetches */ });
    }, 150);
  }

  function apply(state) {
    document.getElementById("desk-summary").innerHTML = state.summary;
    document.getElementById("desk-records").innerHTML = state.records;
    var wanted = {};
    state.chats.forEach(function (id) { wanted[id] = true; });
    Array.prototype.forEach.call(panels.querySelectorAll(".desk-panel"), function (el) {
      if (!wanted[el.dataset.contact]) el.remove(); else delete wanted[el.dataset.contact];
    });
    Object.keys(wanted).forEach(function (id) {  // a chat just taken or handed to us: add its panel
      fetch(root.dataset.panelUrl + id + "/", {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          if (!html || panels.querySelector('[data-contact="' + id + '"]')) return;
          panels.insertAdjacentHTML("beforeend", html);
          document.getElementById("no-chats").hidden = true;
        });
    });
    document.getElementById("no-chats").hidden = state.chats.length > 0;
  }

  function sideLine(f) {
    var logEl = root.querySelector('[data-side-log="' + f.contact + '"]');
    if (!logEl || logEl.querySelector('[data-id="' + f.id + '"]')) return;
    var li = document.createElement("li"), meta = document.createElement("span");
    li.className = "side-" + f.role; li.dataset.id = f.id;
    meta.className = "meta";
    meta.textContent = f.author + " · " + new Date(f.sent_at).toLocaleTimeString(document.documentElement.lang,
      {timeZone: "Europe/Helsinki", hour: "2-digit", minute: "2-digit", hour12: false});
    li.appendChild(meta); li.appendChild(document.createTextNode(" " + f.text));
    logEl.appendChild(li);
  }

  window.DropinStaffSocket(root, function (f) {
    switch (f.type) {
      case "queue":
        var count = document.getElementById("queue-count");
        if (count) count.textContent = root.dataset.i18nWaiting.replace("%(n)s", f.waiting);
        break;
      case "side": sideLine(f); break;
      case "error": errorEl.textContent = f.message; setTimeout(function () { errorEl.textContent = ""; }, 8000); break;
      case "taken": case "changed": case "support": case "present": errorEl.textContent = ""; refresh(); break;
    }
  }, refresh);
})();
