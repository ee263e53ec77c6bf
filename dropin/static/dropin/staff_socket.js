/* The drop-in chat's staff socket (/ws/dropin/staff/), shared by the desk and the duty room:
 * reconnects with backoff, and sends the forms marked data-frame as socket frames while it is open
 * (without it, the forms post as ordinary forms). Protocol: docs/protocol.md, "The drop-in chat". */
window.DropinStaffSocket = function (root, onEvent, onOpen) {
  "use strict";
  var ws = null, retry = 0, status = root.querySelector("[role=status]");
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + root.dataset.wsPath);
    ws.onopen = function () { retry = 0; if (status) status.textContent = root.dataset.i18nConnected; onOpen(); };
    ws.onmessage = function (ev) { var f; try { f = JSON.parse(ev.data); } catch (e) { return; } onEvent(f); };
    ws.onclose = function () {
      if (status) status.textContent = root.dataset.i18nReconnecting;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, Math.min(500 * Math.pow(2, retry - 1), 10000) + Math.random() * 300);
    };
  }
  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }
  // Forms with data-frame go over the socket when it is open.
  root.addEventListener("submit", function (e) {
    var form = e.target, kind = form.dataset.frame;
    if (!kind) return;
    var frame = {type: kind}, contact = form.dataset.contact ? parseInt(form.dataset.contact, 10) : null;
    if (kind === "side") {
      var text = form.querySelector("textarea");
      if (!text.value.trim()) return;
      frame.contact = contact; frame.text = text.value;
      if (send(frame)) { e.preventDefault(); text.value = ""; }
      return;
    }
    if (kind === "support") frame = {type: "support", contact: contact, on: form.querySelector("[name=on]").value === "1"};
    if (kind === "present") frame = {type: "present", present: form.querySelector("[name=present]").value === "1"};
    if (send(frame)) e.preventDefault();
  });
  connect();
  return {send: send};
};
