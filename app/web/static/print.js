// The timeline on paper: a Print button (shown only when scripts run), and every collapsed
// thread opened while printing, then closed again (browsers without ::details-content in
// print CSS would otherwise print only each thread's summary line).
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("print-page");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    }
  });
})();
