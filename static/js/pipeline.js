// The pipeline board (/pipeline/): move a card by dragging it to a column, or with the "Move to"
// control on the card (the keyboard's way, and the way without a mouse). Either way a move that
// needs more (the amount of a sale, why it was lost, whom to hand it to) asks in a dialog, then
// is posted to the server, whose services decide; the board comes back re-drawn and the outcome,
// refusals included, is written in the live region for screen readers and for everyone.
// Without this script the "Move to" control opens the move's own page instead.
(function () {
  var status = document.getElementById("board-status");
  var dialog = document.getElementById("move-dialog");
  if (!status || !dialog || !document.querySelector("[data-board]")) return;
  var dialogForm = dialog.querySelector("form");
  var dialogError = dialog.querySelector("[data-dialog-error]");
  var pending = null; // {card, to, label, trigger} while the dialog is open
  var dragged = null;

  var LABELS = { inquiry: "Inquiry", sales_ready: "Sales-ready", won: "Won", unclosed: "Unclosed", dead: "Dead" };

  function board() { return document.querySelector("[data-board]"); }

  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function say(text, refused) {
    status.textContent = "";
    status.classList.toggle("refused", !!refused);
    // A fresh text node after clearing makes screen readers announce a repeated message too.
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function moves(card) { return (card.getAttribute("data-moves") || "").split(" ").filter(Boolean); }

  function needsDetails(to) {
    if (to === "won" || to === "unclosed" || to === "dead") return true;
    return to === "sales_ready" && !!dialogForm.querySelector('[data-for~="sales_ready"]');
  }

  function openDialog(card, to, trigger) {
    pending = { card: card, to: to, trigger: trigger };
    dialog.querySelector("#move-dialog-title").textContent =
      "Move " + card.getAttribute("data-name") + " to " + LABELS[to];
    dialogForm.reset();
    dialogError.hidden = true;
    dialogForm.querySelectorAll("[data-for]").forEach(function (part) {
      var shown = part.getAttribute("data-for").split(" ").indexOf(to) !== -1;
      part.hidden = !shown;
      part.querySelectorAll("input, select").forEach(function (field) {
        field.disabled = !shown;
        field.required = shown && (field.name === "amount" || field.name === "reason");
      });
    });
    dialog.showModal();
    var first = dialogForm.querySelector("[data-for]:not([hidden]) input, [data-for]:not([hidden]) select");
    (first || dialogForm.querySelector("button[type=submit]")).focus();
  }

  function closeDialog() {
    var trigger = pending && pending.trigger;
    pending = null;
    if (dialog.open) dialog.close();
    if (trigger && document.body.contains(trigger)) trigger.focus();
  }

  function send(card, to, details) {
    var data = new FormData();
    data.append("to", to);
    data.append("show", board().getAttribute("data-show"));
    if (details) details.forEach(function (value, key) { data.append(key, value); });
    var name = card.getAttribute("data-name");
    var id = card.getAttribute("data-card");
    say("Moving " + name + " to " + LABELS[to] + "…");
    fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Board": "1" },
    })
      .then(function (response) {
        return response.text().then(function (html) { return { response: response, html: html }; });
      })
      .then(function (result) {
        var fresh = new DOMParser().parseFromString(result.html, "text/html").querySelector("[data-board]");
        if (!fresh) {
          say("The move could not be made (the server answered " + result.response.status + "). Reload the page and try again.", true);
          return;
        }
        board().replaceWith(fresh);
        var refused = fresh.getAttribute("data-outcome") !== "moved";
        say(fresh.getAttribute("data-message"), refused);
        var moved = document.getElementById("card-" + id);
        if (moved) {
          var control = refused && moved.querySelector("select");
          (control || moved).focus();
        }
      })
      .catch(function () {
        say("The move could not be sent: check the connection and try again.", true);
      });
  }

  function ask(card, to, trigger) {
    if (moves(card).indexOf(to) === -1) {
      var from = LABELS[card.getAttribute("data-stage")] || "its column";
      say(card.getAttribute("data-name") + " cannot move from " + from + " to " + (LABELS[to] || to) + " on the board.", true);
      return;
    }
    if (needsDetails(to)) openDialog(card, to, trigger);
    else send(card, to, null);
  }

  // The keyboard's way: "Move to" and the Move button on each card.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList.contains("board-move")) {
      event.preventDefault();
      var card = form.closest("[data-card]");
      ask(card, form.querySelector("select").value, form.querySelector("select"));
    } else if (form === dialogForm) {
      event.preventDefault();
      if (!pending) return;
      if (!dialogForm.checkValidity()) {
        var invalid = dialogForm.querySelector(":invalid");
        dialogError.textContent = invalid && invalid.name === "amount"
          ? "Give the sale's amount (a number, 0 or more)."
          : "Say why, so marketing can learn from it.";
        dialogError.hidden = false;
        if (invalid) invalid.focus();
        return;
      }
      var move = pending;
      var details = new FormData(dialogForm);
      pending = null;
      dialog.close();
      send(move.card, move.to, details);
    }
  });
  dialog.addEventListener("click", function (event) {
    if (event.target.closest("[data-cancel]")) closeDialog();
  });
  dialog.addEventListener("cancel", function (event) { // Escape
    event.preventDefault();
    closeDialog();
  });

  // The mouse's way: drag a card onto a column.
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-card][draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-card"));
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".board-column.drop-here").forEach(function (c) { c.classList.remove("drop-here", "drop-no"); });
  });
  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault(); // every column takes the drop: one that may not says why in words
    event.dataTransfer.dropEffect = "move";
    var allowed = moves(dragged).indexOf(column.getAttribute("data-stage")) !== -1;
    document.querySelectorAll(".board-column.drop-here").forEach(function (c) { if (c !== column) c.classList.remove("drop-here", "drop-no"); });
    column.classList.add("drop-here");
    column.classList.toggle("drop-no", !allowed);
  });
  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault();
    var card = dragged;
    column.classList.remove("drop-here", "drop-no");
    if (column.getAttribute("data-stage") === card.getAttribute("data-stage")) return; // put back where it was
    ask(card, column.getAttribute("data-stage"), card.querySelector("select") || card);
  });
})();
