// The little the pages need beyond htmx, kept out of the HTML so a strict
// Content-Security-Policy (no inline script) holds on every page.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// Formset rows (the offer editor's placements): "Add a placement" appends a copy of the empty
// row the server rendered in <template data-empty-row="PREFIX">, numbered as Django's formset
// expects (PREFIX-TOTAL_FORMS counts it); "Remove" on an unsaved row ticks the row's hidden
// DELETE box and hides it, so the formset skips it. Without script, one empty row is always there.
(function () {
  function showOtherChannel(select) {
    var row = select.closest("tr");
    var other = row && row.querySelector("[data-channel-other]");
    if (!other) return;
    other.hidden = select.value !== "other";
    if (other.hidden) other.value = "";
  }

  function addRow(button) {
    var prefix = button.getAttribute("data-add-row");
    var form = button.closest("form");
    var template = form.querySelector('template[data-empty-row="' + prefix + '"]');
    var rows = form.querySelector('[data-rows="' + prefix + '"]');
    var total = form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    if (!template || !rows || !total) return;
    var index = parseInt(total.value, 10) || 0;
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
    var added = rows.lastElementChild;
    while (added && !added.classList.contains("placement-row")) added = added.previousElementSibling;
    if (!added) return;
    added.querySelectorAll("[data-remove-row]").forEach(function (remove) { remove.hidden = false; });
    added.querySelectorAll("[data-channel]").forEach(showOtherChannel);
    var first = added.querySelector("select, input:not([type=hidden])");
    if (first) first.focus();
  }

  document.querySelectorAll("[data-add-row], [data-remove-row]").forEach(function (button) {
    button.hidden = false;
  });
  document.querySelectorAll("[data-channel]").forEach(showOtherChannel);

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-channel]")) {
      showOtherChannel(event.target);
      var other = event.target.closest("tr").querySelector("[data-channel-other]");
      if (other && !other.hidden) other.focus();
    }
  });
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) addRow(add);
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var row = remove.closest("tr");
      var box = row.querySelector('input[type=checkbox][name$="-DELETE"]');
      if (box) box.checked = true;
      row.hidden = true;
      var errors = row.nextElementSibling;
      if (errors && errors.classList.contains("row-errors")) errors.hidden = true;
    }
  });
})();

// A "tick every row" box (data-check-all="FORM") ticks the row boxes that belong to that form:
// the lead list's bulk hand-over. Without script, each row is ticked by hand.
document.addEventListener("change", function (event) {
  var all = event.target.closest("[data-check-all]");
  if (!all) return;
  var selector = 'input[type=checkbox][form="' + all.getAttribute("data-check-all") + '"]';
  document.querySelectorAll(selector).forEach(function (box) { box.checked = all.checked; });
});

// The top bar's search (desk/search.py): typing shows suggestions under the box (htmx). The Down
// arrow moves from the box into them and on, Up back, Escape closes them and returns to the box;
// they close when focus or a click goes elsewhere and come back when the box is focused again.
// Enter in the box opens the results page: a plain GET that works without this script.
(function () {
  var box = document.getElementById("id_top_q");
  if (!box) return;
  var panel = document.getElementById(box.getAttribute("data-suggest"));
  var form = box.form;
  function links() { return Array.prototype.slice.call(panel.querySelectorAll("a")); }
  form.addEventListener("keydown", function (event) {
    var items = links();
    var at = items.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && items.length && !panel.hidden) {
      event.preventDefault();
      items[Math.min(at + 1, items.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? box : items[at - 1]).focus();
    } else if (event.key === "Escape" && !panel.hidden && panel.firstChild) {
      box.focus();  // first: focusing the box shows the suggestions again
      panel.hidden = true;
    }
  });
  form.addEventListener("focusout", function (event) {
    if (event.relatedTarget && !form.contains(event.relatedTarget)) panel.hidden = true;
  });
  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) panel.hidden = true;
  });
  box.addEventListener("focus", function () { panel.hidden = false; });
  box.addEventListener("input", function () { panel.hidden = false; });
})();
