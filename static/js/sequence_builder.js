// The sequence builder (templates/nurture/sequence_form.html). Each step row shows only the fields
// of its kind; "Add a step" appends a copy of the empty row in <template data-step-template>;
// "Move up", "Move down" and "Remove" do what they say. After each change the rows' field names are
// renumbered in page order (the server reads step-0-…, step-1-… in that order), the rows with a
// kind are numbered "Step 1", "Step 2" … as the server will number them, and a branch's
// step-number targets follow the steps they point at. Without script every field shows under its
// kind and the blank rows at the end take new steps.
(function () {
  var list = document.querySelector("[data-steps]");
  var template = document.querySelector("template[data-step-template]");
  if (!list || !template) return;
  var VALUED = ["score_at_least", "stage"];
  var nextId = 0;
  var order = [];

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll("[data-step-row]"));
  }

  function kindOf(row) {
    return row.querySelector("[data-kind-select]").value;
  }

  function named() {
    // The rows the server will number: those with a kind, by their stable ids.
    return rows().filter(function (row) { return kindOf(row) !== ""; }).map(function (row) { return row.dataset.rowId; });
  }

  function showKind(row) {
    var kind = kindOf(row);
    row.querySelectorAll("[data-kind]").forEach(function (part) {
      part.hidden = part.getAttribute("data-kind") !== kind;
    });
    showValue(row);
  }

  function showValue(row) {
    // A branch's value is asked only of the conditions that take one (a score, a stage).
    var condition = row.querySelector("[data-condition]");
    var value = row.querySelector("[data-condition-value]");
    if (condition && value) value.hidden = VALUED.indexOf(condition.value) < 0;
  }

  function rename(row, index) {
    var prefix = "step-" + index + "-";
    function swap(value) { return value.replace(/step-(\d+|__i__)-/g, prefix); }
    row.querySelectorAll("[name]").forEach(function (field) { field.name = swap(field.name); });
    row.querySelectorAll("[id]").forEach(function (node) { node.id = swap(node.id); });
    row.querySelectorAll("label[for]").forEach(function (label) { label.htmlFor = swap(label.htmlFor); });
    row.querySelectorAll("[aria-describedby]").forEach(function (node) {
      node.setAttribute("aria-describedby", swap(node.getAttribute("aria-describedby")));
    });
  }

  function update() {
    var before = order;
    order = named();
    rows().forEach(function (row, index) {
      rename(row, index);
      var number = order.indexOf(row.dataset.rowId);
      row.querySelector("[data-step-label]").textContent = number >= 0 ? "Step " + (number + 1) : "New step";
      var up = row.querySelector("[data-step-up]");
      var down = row.querySelector("[data-step-down]");
      up.disabled = index === 0;
      down.disabled = index === rows().length - 1;
    });
    // A target written as a step number keeps pointing at the same step; one whose step was
    // removed or blanked is emptied (the server's default: then next, else end).
    list.querySelectorAll("[data-step-target]").forEach(function (input) {
      var value = input.value.trim();
      if (!/^[0-9]+$/.test(value)) return;
      var id = before[parseInt(value, 10) - 1];
      if (id === undefined) return;
      var now = order.indexOf(id);
      input.value = now >= 0 ? String(now + 1) : "";
    });
  }

  function prepare(row) {
    row.dataset.rowId = String(nextId++);
    row.querySelectorAll("[data-step-up], [data-step-down], [data-step-remove]").forEach(function (button) {
      button.hidden = false;
    });
    showKind(row);
  }

  rows().forEach(prepare);
  order = named();
  update();
  var add = document.querySelector("[data-step-add]");
  if (add) add.hidden = false;

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-condition]")) showValue(event.target.closest("[data-step-row]"));
    if (!event.target.matches("[data-kind-select]")) return;
    showKind(event.target.closest("[data-step-row]"));
    update();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-step-add], [data-step-up], [data-step-down], [data-step-remove]");
    if (!button) return;
    if (button.matches("[data-step-add]")) {
      list.insertAdjacentHTML("beforeend", template.innerHTML);
      var added = rows()[rows().length - 1];
      prepare(added);
      update();
      added.querySelector("[data-kind-select]").focus();
      return;
    }
    var row = button.closest("[data-step-row]");
    if (button.matches("[data-step-remove]")) {
      var neighbour = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      update();
      if (neighbour) neighbour.querySelector("[data-kind-select]").focus();
      else if (add) add.focus();
      return;
    }
    if (button.matches("[data-step-up]") && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
    } else if (button.matches("[data-step-down]") && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    }
    update();
    if (!button.disabled) button.focus();
    else row.querySelector(button.matches("[data-step-up]") ? "[data-step-down]" : "[data-step-up]").focus();
  });
})();
