/* The parent's own time next to a Finnish time, when their device's clock is in another zone.
 *
 * Every time on the pages is Finnish time (Europe/Helsinki) and the page says so in its text. When
 * the browser's time zone shows the same moment differently (a parent abroad), this script adds the
 * moment on the device's clock in brackets after the time. Progressive enhancement: without
 * JavaScript (or Intl) the Finnish time stands alone and is still right. No inline code: the CSP
 * allows only this site's files; the translated labels come from this script's own tag.
 *
 * Mark-up (any page, the chat page's follow-up times too):
 *   <time datetime="2026-11-23T10:00:00+02:00" data-local-time>…</time>
 *     data-local-time=""        adds " (3.00 your time)" after the element (label: data-your-time);
 *     data-local-time="short"   adds " (3.00)", for lists of times explained by a note (below);
 *     data-local-time-end="…"   an end time too: " (3.00–3.45 your time)".
 *   The weekday is added when the day differs: " (su 22.00 your time)".
 *   [data-local-time-note] elements (hidden in the page) are shown once a time was added, with
 *   "{zone}" in their text replaced by the device's time zone (e.g. America/New_York).
 * Elements added later (e.g. by chat.js) are annotated as they appear, and again when their
 * datetime changes. window.localTime.annotate(root) does it on demand.
 * Clock times follow the page's language as the server writes them: 9.50 (fi, sv), 09:50 (en).
 */
(function () {
  "use strict";
  var HELSINKI = "Europe/Helsinki";
  var script = document.currentScript;
  var yourTime = (script && script.getAttribute("data-your-time")) || "({time})";
  var zone;
  try {
    zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    new Intl.DateTimeFormat("en-GB", {timeZone: HELSINKI}).format(new Date());
  } catch (e) {
    return;  // no Intl time zones: the Finnish time stands alone
  }
  if (!zone || zone === HELSINKI) return;
  var lang = (document.documentElement.lang || "fi").slice(0, 2);

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function wallClock(date, timeZone) {
    var out = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    out.hour = parseInt(out.hour, 10) % 24;
    out.day = out.year + "-" + out.month + "-" + out.day;
    return out;
  }

  function clock(w) { return lang === "en" ? pad(w.hour) + ":" + w.minute : w.hour + "." + w.minute; }

  function weekday(date) {
    try { return new Intl.DateTimeFormat(lang, {timeZone: zone, weekday: "short"}).format(date); } catch (e) { return ""; }
  }

  /* The device's time for a <time>, or null when it reads the same as the Finnish time. */
  function describe(el) {
    var start = new Date(el.getAttribute("datetime"));
    if (isNaN(start.getTime())) return null;
    var here = wallClock(start, zone), finnish = wallClock(start, HELSINKI);
    if (here.day === finnish.day && here.hour === finnish.hour && here.minute === finnish.minute) return null;
    var text = clock(here);
    if (here.day !== finnish.day) text = (weekday(start) + " " + text).trim();
    var end = new Date(el.getAttribute("data-local-time-end") || "");
    if (!isNaN(end.getTime())) text += "–" + clock(wallClock(end, zone));
    return text;
  }

  function showNotes() {
    var notes = document.querySelectorAll("[data-local-time-note][hidden]");
    for (var i = 0; i < notes.length; i++) {
      notes[i].textContent = notes[i].textContent.replace("{zone}", zone.replace(/_/g, " "));
      notes[i].hidden = false;
    }
  }

  function annotate(el) {
    var old = el.nextSibling;
    if (old && old.nodeType === 1 && old.hasAttribute("data-local-time-added")) old.parentNode.removeChild(old);
    var text = describe(el);
    if (!text) return;
    var span = document.createElement("span");
    span.className = "local-time";
    span.setAttribute("data-local-time-added", "");
    span.textContent = " " + (el.getAttribute("data-local-time") === "short" ? "(" + text + ")" : yourTime.replace("{time}", text));
    el.parentNode.insertBefore(span, el.nextSibling);
    showNotes();
  }

  function scan(root) {
    if (!root || root.nodeType !== 1) return;
    if (root.matches("time[data-local-time]")) annotate(root);
    var found = root.querySelectorAll("time[data-local-time]");
    for (var i = 0; i < found.length; i++) annotate(found[i]);
  }

  function start() {
    scan(document.body);
    if (!window.MutationObserver) return;
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        if (record.type === "attributes") {
          if (record.target.matches("time[data-local-time]")) annotate(record.target);
          return;
        }
        for (var i = 0; i < record.addedNodes.length; i++) scan(record.addedNodes[i]);
      });
    }).observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ["datetime", "data-local-time-end"]});
  }

  window.localTime = {annotate: scan, zone: zone};
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
