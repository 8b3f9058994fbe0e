// The little the pages need beyond htmx, kept out of the HTML so a strict
// Content-Security-Policy (no inline script) holds on every page.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
