/* MLL Parents' Helpline: "open now?" for other sites, as a script instead of an iframe.
 *
 *   <div data-mll-status data-lang="fi"></div>
 *   <script src="https://<this site>/static/widget.js" async></script>
 *
 * Fetches /api/v1/status/ (CORS for EMBED_ORIGINS) without cookies or referrer, and renders a plain
 * list with textContent only. No cookies, no storage, no tracking; style it with the classes
 * .mll-status, .mll-status-item, .is-open, .is-closed, .mll-status-name, .mll-status-text.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) return;
  var base = new URL(script.src, location.href).origin;

  function item(name, url, text, state) {
    var li = document.createElement("li");
    li.className = "mll-status-item " + state;
    var strong = document.createElement(url ? "a" : "strong");
    strong.className = "mll-status-name";
    strong.textContent = name;
    if (url) { strong.href = url; strong.rel = "noopener noreferrer"; }
    var span = document.createElement("span");
    span.className = "mll-status-text";
    span.textContent = " " + text;
    li.appendChild(strong);
    li.appendChild(span);
    return li;
  }

  function render(node, data) {
    var ul = document.createElement("ul");
    ul.className = "mll-status";
    data.channels.forEach(function (c) { ul.appendChild(item(c.name, c.url, c.text, c.open ? "is-open" : "is-closed")); });
    data.services.forEach(function (s) { ul.appendChild(item(s.name, s.url, s.text, "is-booking")); });
    node.textContent = "";
    node.appendChild(ul);
  }

  var nodes = document.querySelectorAll("[data-mll-status]");
  Array.prototype.forEach.call(nodes, function (node) {
    var lang = node.getAttribute("data-lang") || document.documentElement.lang || "fi";
    fetch(base + "/api/v1/status/?lang=" + encodeURIComponent(lang), {credentials: "omit", referrerPolicy: "no-referrer"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { render(node, data); })
      .catch(function () { /* leave the embedder's fallback content in place */ });
  });
})();
