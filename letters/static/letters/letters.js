// The letter service's small helpers; the pages work without them.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    // Characters left, near the limit only (the limit itself is in the field's maxlength).
    document.querySelectorAll("[data-count-for]").forEach(function (counter) {
      var field = document.getElementById(counter.getAttribute("data-count-for"));
      var max = parseInt(counter.getAttribute("data-max"), 10);
      if (!field || !max) { return; }
      var original = counter.textContent;
      function update() {
        var used = field.value.length;
        counter.textContent = original + " (" + used + " / " + max + ")";
        counter.classList.toggle("is-near", used > max * 0.9);
      }
      field.addEventListener("input", update);
      update();
    });
    // A saved reply is added to the end of the answer being written.
    document.querySelectorAll("[data-insert]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-target"));
        if (!target) { return; }
        var text = button.getAttribute("data-insert");
        target.value = target.value ? target.value.replace(/\s*$/, "") + "\n\n" + text : text;
        target.focus();
      });
    });
    // The printable view's button.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
