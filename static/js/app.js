// The little the pages need beyond htmx, kept out of the HTML so a strict
// Content-Security-Policy (no inline script) holds on every page.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// A "tick every row" box (data-check-all="FORM") ticks the row boxes that belong to that form:
// the lead list's bulk hand-over. Without script, each row is ticked by hand.
document.addEventListener("change", function (event) {
  var all = event.target.closest("[data-check-all]");
  if (!all) return;
  var selector = 'input[type=checkbox][form="' + all.getAttribute("data-check-all") + '"]';
  document.querySelectorAll(selector).forEach(function (box) { box.checked = all.checked; });
});
