/* The chat page, for the parent and the worker alike. Protocol: docs/protocol.md.
 *
 * Nothing is lost across a dropped connection: every outgoing message carries a client_id and
 * stays in the outbox until the server acknowledges it; on reconnect the page rejoins with
 * "after" = the id of the last message it holds with nothing missing before it, and resends the
 * outbox (the server stores a client_id once). Messages are numbered 1, 2, 3 ... per chat ("seq"):
 * holding 5 but not 4 means one was missed (delivery order is not guaranteed across servers, and the
 * channel layer may drop one), so the page asks for what follows the gap.
 *
 * The drop-in chat (data-channel="dropin", socket /ws/dropin/) uses the same page: its waiting room
 * is the queue (place and estimate from "queue" frames), the helper's name comes with "opened" or
 * "helper" (a hand-over), and "ended" says why (left the queue, closed for the day).
 */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) return;
  var role = root.dataset.role;
  var t = root.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var log = $("log"), composer = $("composer"), text = $("text"), conn = $("conn"), typingEl = $("typing");
  var presence = $("presence"), errorEl = $("error"), waiting = $("waiting"), endBtn = $("end"), ended = $("ended");
  var followOpen = $("followup-open"), follow = $("followup");
  var dropin = root.dataset.channel === "dropin", home = root.dataset.home || "/join/";
  var lastId = 0, contigSeq = 0, aheadOfGap = {}, gapTimer = null, slowTimer = null;
  var seen = {}, outbox = [], ws = null, retry = 0, joined = false, isEnded = false, typingTimer = null, lastTypingSent = 0;
  var followBooked = false;  // a follow-up was booked from this chat: no second offer (issue 13, item 7)
  // One outbox per chat: the drop-in chat's is kept apart from an appointment chat's in the same tab.
  var storeKey = "chat-outbox-" + (root.dataset.channel === "dropin" ? "dropin-" : "") + role + "-" + (root.dataset.store || root.dataset.booking || "p");

  try { outbox = JSON.parse(sessionStorage.getItem(storeKey) || "[]"); } catch (e) { outbox = []; }
  function saveOutbox() { try { sessionStorage.setItem(storeKey, JSON.stringify(outbox)); } catch (e) { /* private mode */ } }
  function uid() { return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)); }
  function who(r) { return r === role ? t.i18nYou : (r === "worker" ? t.i18nWorker : (r === "parent" ? t.i18nParent : "")); }
  // Times are shown on the service's clock (Helsinki), like every time on the pages.
  var TZ = "Europe/Helsinki", LANG = document.documentElement.lang;
  function hhmm(iso) { return new Date(iso).toLocaleTimeString(LANG, {timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false}); }
  function when(iso, opts) { return new Date(iso).toLocaleString(LANG, Object.assign({timeZone: TZ, hour12: false}, opts || {})); }

  // lastId: the id of the last message held with no gap before it; "after" always uses it.
  function track(m) {
    if (m.seq == null) { lastId = Math.max(lastId, m.id); return; }  // a server without seq
    if (m.seq <= contigSeq) return;
    aheadOfGap[m.seq] = m.id;
    while (aheadOfGap[contigSeq + 1] !== undefined) {
      contigSeq += 1; lastId = Math.max(lastId, aheadOfGap[contigSeq]); delete aheadOfGap[contigSeq];
    }
    if (Object.keys(aheadOfGap).length && !gapTimer) {
      // Give a message overtaken on its way a moment to arrive, then ask for what is missing.
      gapTimer = setTimeout(function () {
        gapTimer = null;
        if (Object.keys(aheadOfGap).length && joined) send({type: "sync", after: lastId});
      }, 1000);
    }
  }

  function render(m) {
    if (m.id && seen[m.id]) return;
    if (m.id) { seen[m.id] = true; track(m); }
    var pending = m.client_id && log.querySelector('[data-client-id="' + CSS.escape(m.client_id) + '"]');
    if (pending && m.id) {
      // Shown (and read out by screen readers) while sending: only confirm it in place, so the log's
      // aria-live region does not announce the same message twice.
      pending.className = "msg " + (m.role === role ? "mine" : "theirs");
      pending.dataset.id = m.id;
      var shownMeta = pending.querySelector(".meta");
      if (shownMeta && m.sent_at) shownMeta.textContent = who(m.role) + " · " + hhmm(m.sent_at);
      return;
    }
    var li = pending || document.createElement("li");
    li.className = "msg " + (m.role === role ? "mine" : "theirs") + (m.id ? "" : " pending");
    li.dataset.clientId = m.client_id || "";
    if (m.id) li.dataset.id = m.id;
    li.textContent = "";
    var meta = document.createElement("span"); meta.className = "meta";
    meta.textContent = who(m.role) + (m.sent_at ? " · " + hhmm(m.sent_at) : " · " + t.i18nSending);
    var body = document.createElement("p"); body.textContent = m.text;
    li.appendChild(meta); li.appendChild(body);
    // In the order they were stored: a message fetched late (after a gap) goes where it belongs.
    var later = !pending && m.id ? Array.prototype.find.call(log.children, function (el) { return el.dataset.id && +el.dataset.id > m.id; }) : null;
    if (later) log.insertBefore(li, later);
    else if (!pending) log.appendChild(li);
    if (!later) li.scrollIntoView({block: "end"});
  }

  // In the waiting room after the start time has passed: say kindly that the worker is a bit late.
  var startsAt = NaN, LATE_AFTER_MS = 3 * 60 * 1000;
  setInterval(function () {
    var late = $("waiting-late");
    if (late && !waiting.hidden && late.hidden && Date.now() > startsAt + LATE_AFTER_MS) late.hidden = false;
  }, 5000);

  function fill(template, name, value) { return template.replace("%(" + name + ")s", value); }
  function setHelper(name) {
    if (!name) return;
    t.i18nWorker = name;
    if ($("helper-name")) $("helper-name").textContent = name;
  }
  function showQueue(f) {
    var place = $("queue-position"), est = $("queue-estimate");
    if (!place) return;
    place.textContent = f.position === 1 ? t.i18nNext : t.i18nPosition + " " + f.position;
    est.textContent = f.estimate_minutes == null ? t.i18nNoEstimate : fill(t.i18nEstimate, "minutes", f.estimate_minutes);
  }
  function systemLine(text) {
    var li = document.createElement("li"); li.className = "msg system"; li.textContent = text; log.appendChild(li);
  }
  // The drop-in chat ends in one of three ways for the parent: a chat ended, the queue left, or closing.
  function showEnd(reason) {
    var block = reason === "closed" ? $("closed") : (reason === "left_queue" || reason === "away") ? $("left") : null;
    if (block) { ended.hidden = true; block.hidden = false; log.hidden = !log.children.length; }
    if ($("dropin-code")) $("dropin-code").hidden = true;
  }

  function setState(state) {
    var open = state === "open";
    if (waiting) waiting.hidden = state !== "waiting";  // (the helper's drop-in page has no waiting room)
    log.hidden = state === "waiting" && !log.children.length;
    composer.hidden = !open;
    endBtn.hidden = !open;
    if ($("flag")) $("flag").hidden = !open;
    if (followOpen) followOpen.hidden = followBooked || !(open || state === "ended");
    if (state === "ended") { isEnded = true; ended.hidden = false; composer.hidden = true; typingEl.textContent = ""; }
  }

  function send(frame) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame)); }

  function flushOutbox() { outbox.forEach(function (m) { send({type: "message", text: m.text, client_id: m.client_id}); }); }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + root.dataset.wsPath);
    ws.onopen = function () {
      retry = 0;
      var join = {type: "join", echo: false};  // our own messages are confirmed by their ack
      if (role === "worker") join[root.dataset.joinField || "booking"] = parseInt(root.dataset.booking, 10);
      if (lastId) join.after = lastId;
      send(join);
    };
    ws.onmessage = function (ev) {
      var f; try { f = JSON.parse(ev.data); } catch (e) { return; }
      switch (f.type) {
        case "joined": joined = true; conn.textContent = ""; startsAt = Date.parse(f.start);
          if (f.follow_up_booked) followBooked = true;
          if (f.worker) setHelper(f.worker);
          setState(f.state); if (f.state === "open") flushOutbox(); break;
        case "history": f.messages.forEach(render); break;
        case "waiting": setState("waiting"); break;
        case "opened": setHelper(f.worker); setState("open"); flushOutbox(); break;
        case "queue": showQueue(f); break;
        case "helper": setHelper(f.worker); systemLine(fill(t.i18nHelper, "name", f.worker)); break;
        case "handed_over":
          // The coordinator gave this chat to someone else: this page may no longer write in it.
          isEnded = true; composer.hidden = true; endBtn.hidden = true; if ($("flag")) $("flag").hidden = true;
          if ($("handed-over")) { $("handed-over").textContent = fill(t.i18nHandedOver, "name", f.worker); $("handed-over").hidden = false; }
          ws.close(); break;
        case "message": render(f); break;
        case "ack":
          outbox = outbox.filter(function (m) { return m.client_id !== f.client_id; }); saveOutbox();
          if (f.message) render(f.message);  // stored: confirm it now, not when our own copy comes back
          break;
        case "typing": typingEl.textContent = f.typing ? who(f.role) + " " + t.i18nTyping : "";
          clearTimeout(typingTimer); typingTimer = setTimeout(function () { typingEl.textContent = ""; }, 6000); break;
        case "presence": presence.textContent = who(f.role) + " " + (f.online ? t.i18nOnline : t.i18nOffline); break;
        case "ended": setState("ended"); conn.textContent = t.i18nEnded; if (dropin) showEnd(f.reason);
          // Whoever ended the conversation has left it, even if their page is still open (issue 13, item 7).
          if (f.by === "parent" || f.by === "worker") presence.textContent = f.by === role ? "" : who(f.by) + " " + t.i18nOffline;
          break;
        case "followup":
          var li = document.createElement("li"); li.className = "msg system";
          li.textContent = t.i18nFollowup + " " + when(f.start, {weekday: "short", day: "numeric", month: "numeric", hour: "2-digit", minute: "2-digit"});
          log.appendChild(li); break;
        case "followup_slots": showSlots(f.slots); break;
        case "followup_booked": showBooked(f); break;
        case "error":
          if (f.code === "slow_down") {
            // Too fast: the message stays in the outbox and goes again in a moment.
            errorEl.textContent = f.message;
            if (!slowTimer) slowTimer = setTimeout(function () { slowTimer = null; errorEl.textContent = ""; flushOutbox(); }, 2000);
            break;
          }
          if (f.client_id) { outbox = outbox.filter(function (m) { return m.client_id !== f.client_id; }); saveOutbox();
            var p = log.querySelector('[data-client-id="' + CSS.escape(f.client_id) + '"]'); if (p) p.remove(); }
          errorEl.textContent = f.message;
          if (!joined && ["invalid_code", "ended", "cancelled", "forbidden", "too_early", "rate_limited"].indexOf(f.code) >= 0) {
            isEnded = true; ws.close();
            if (role === "parent") setTimeout(function () { location.href = home; }, 4000);
          }
          break;
      }
    };
    ws.onclose = function () {
      joined = false;
      if (isEnded && !outbox.length) return;
      if (isEnded) return;
      conn.textContent = t.i18nReconnecting;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, Math.min(500 * Math.pow(2, retry - 1), 10000) + Math.random() * 300);
    };
  }

  composer.addEventListener("submit", function (e) {
    e.preventDefault();
    var value = text.value.trim();
    if (!value) return;
    errorEl.textContent = "";
    var m = {text: value, client_id: uid()};
    outbox.push(m); saveOutbox();
    render({role: role, text: value, client_id: m.client_id});
    send({type: "message", text: value, client_id: m.client_id});
    text.value = ""; text.focus();
  });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); composer.requestSubmit(); return; }
    var now = Date.now();
    if (now - lastTypingSent > 3000) { lastTypingSent = now; send({type: "typing", typing: true}); }
  });
  // Ending is for good (the parent's code dies), so a stray tap on a phone must not do it.
  endBtn.addEventListener("click", function () {
    if (!endBtn.dataset.confirm || window.confirm(endBtn.dataset.confirm)) send({type: "end"});
  });
  var flagBtn = $("flag");
  if (flagBtn) flagBtn.addEventListener("click", function () {
    if (window.confirm(flagBtn.dataset.confirm)) send({type: "end", flag: true});
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-reply]"), function (b) {
    b.addEventListener("click", function () {
      text.value = (text.value ? text.value + "\n" : "") + b.dataset.reply; text.focus();
    });
  });

  // Follow-up (parent only).
  function showSlots(slots) {
    var ul = $("followup-slots"); ul.textContent = "";
    if (!slots.length) { var li0 = document.createElement("li"); li0.textContent = "—"; ul.appendChild(li0); }
    slots.slice(0, 30).forEach(function (s) {
      var li = document.createElement("li"), b = document.createElement("button");
      b.type = "button"; b.className = "slot";
      // A <time> that static/js/localtime.js annotates with the parent's own clock when it differs.
      var t = document.createElement("time");
      t.setAttribute("datetime", s.start); t.setAttribute("data-local-time", "short");
      t.textContent = when(s.start, {weekday: "short", day: "numeric", month: "numeric", hour: "2-digit", minute: "2-digit"});
      b.appendChild(t);
      b.addEventListener("click", function () { send({type: "followup_book", start: s.start}); });
      li.appendChild(b); ul.appendChild(li);
    });
  }
  function showBooked(f) {
    followBooked = true;
    if (followOpen) followOpen.hidden = true;
    $("followup-slots").hidden = true;
    $("followup-done").hidden = false;
    $("followup-code").textContent = f.code;
    if (f.ics) $("followup-ics").href = f.ics;
    $("followup-when").textContent = when(f.start, {weekday: "long", day: "numeric", month: "numeric", hour: "2-digit", minute: "2-digit"});
    $("followup-when").setAttribute("datetime", f.start);
    $("followup-code").focus && $("followup-code").setAttribute("tabindex", "-1");
  }
  var leaveQueue = $("leave-queue");
  if (leaveQueue) leaveQueue.addEventListener("click", function () {
    if (window.confirm(leaveQueue.dataset.confirm)) send({type: "end"});
  });
  if (followOpen) followOpen.addEventListener("click", function () {
    follow.hidden = false; followOpen.hidden = true; send({type: "followup_slots"});
    $("followup-title").scrollIntoView();
  });

  // Every 30 s ask the server for anything newer than what is shown: a broadcast the channel layer
  // dropped under load is then fetched from the database without a reconnect.
  setInterval(function () { if (joined && !isEnded) send({type: "sync", after: lastId}); }, 30000);

  // A drop-in chat that is over when the page loads: say how it ended, without a socket.
  if (root.dataset.final) {
    isEnded = true; setState("ended"); showEnd(root.dataset.final === "ended" ? "" : root.dataset.final);
    return;
  }
  connect();
})();
