/* "Copy the code": a button next to a code (templates/booking/_code.html).
 *
 * The button is in the page hidden and shown here, so without JavaScript there is no button that
 * does nothing (the code can still be selected and copied by hand). Pressing it copies the code
 * itself (data-copy, "XXXX-XXXX-XXXX") with the Clipboard API; where that is missing or refused
 * (an older browser, a page not served over https), the code's text is selected instead and, if the
 * browser still allows it, copied with execCommand. A polite status line says what happened.
 * No inline script: the CSP allows only this site's files.
 */
(function () {
  "use strict";

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function say(button, text) {
    var status = document.getElementById(button.dataset.copyStatus);
    if (!status) return;
    status.textContent = "";
    // A fresh text node each time, so that a second press is announced again.
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function fallback(button) {
    var target = document.getElementById(button.dataset.copyTarget);
    if (!target) return;
    selectText(target);
    var copied = false;
    try { copied = document.execCommand && document.execCommand("copy"); } catch (e) { copied = false; }
    say(button, copied ? button.dataset.copied : button.dataset.selected);
  }

  function copy(button) {
    var text = button.dataset.copy;
    if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { say(button, button.dataset.copied); },
        function () { fallback(button); }
      );
    } else {
      fallback(button);
    }
  }

  var buttons = document.querySelectorAll("button[data-copy]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function (e) { copy(e.currentTarget); });
  }
})();
