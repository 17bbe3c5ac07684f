// credit-letters case page: link each extracted value to where it was read on the original.
// Focusing a field highlights its box on the page and scrolls it into view; clicking a box
// focuses its field. No external code; served from 'self' under the page's CSP.
(function () {
  "use strict";
  // Positions come as data (inline style attributes are refused by the CSP); set through the CSSOM.
  document.querySelectorAll(".box[data-at]").forEach(function (box) {
    var at = box.dataset.at.split(",");
    box.style.left = at[0] + "%"; box.style.top = at[1] + "%";
    box.style.width = at[2] + "%"; box.style.height = at[3] + "%";
  });
  function boxesFor(key) { return document.querySelectorAll('.box[data-key="' + CSS.escape(key) + '"]'); }
  function clear() { document.querySelectorAll(".box.active").forEach(function (b) { b.classList.remove("active"); }); }
  document.querySelectorAll("input[data-key]").forEach(function (input) {
    input.addEventListener("focus", function () {
      clear();
      var found = boxesFor(input.dataset.key);
      found.forEach(function (b) { b.classList.add("active"); });
      if (found.length) { found[0].scrollIntoView({ block: "center", behavior: "smooth" }); }
    });
  });
  document.querySelectorAll(".box[data-key]").forEach(function (box) {
    box.addEventListener("click", function () {
      var input = document.querySelector('input[data-key="' + CSS.escape(box.dataset.key) + '"]');
      if (input) { input.focus(); input.select(); }
    });
  });
})();
