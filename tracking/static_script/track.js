/* Lead CRM website script: page views and time on page, first-party, no cookies.
   <script src="{base}/track.js" data-key="KEY" async></script>
   Keeps an anonymous visitor id in this site's localStorage (window.crmVisitor, for the web
   form's "visitor" field) and sends beacons to {base}/api/v1/track/?k=KEY. Sends nothing when
   the browser asks not to be tracked (Do-Not-Track, Global Privacy Control). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var key = script.getAttribute("data-key");
  if (!key) { return; }
  if (navigator.doNotTrack === "1" || window.doNotTrack === "1" || navigator.globalPrivacyControl === true) { return; }
  var endpoint = new URL(script.src).origin + "/api/v1/track/?k=" + encodeURIComponent(key);
  var STORE = "crm_visitor";

  function newId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var visitor;
  try {
    visitor = localStorage.getItem(STORE);
    if (!visitor || !/^[A-Za-z0-9_-]{8,64}$/.test(visitor)) {
      visitor = newId();
      localStorage.setItem(STORE, visitor);
    }
  } catch (e) {
    visitor = newId(); /* storage blocked: this page view only */
  }
  window.crmVisitor = visitor;

  function send(event, seconds) {
    var body = { visitor: visitor, url: location.href, event: event };
    if (typeof seconds === "number") { body.seconds = seconds; }
    if (event === "view" && document.referrer) { body.referrer = document.referrer.slice(0, 500); }
    var text = JSON.stringify(body);
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([text], { type: "text/plain" }))) { return; }
    try {
      fetch(endpoint, { method: "POST", body: text, headers: { "Content-Type": "text/plain" }, keepalive: true, mode: "cors" });
    } catch (e) { /* nothing to do */ }
  }

  /* Time on the page counts while it is visible; "leave" reports the total so far. */
  var shownAt = document.visibilityState === "visible" ? Date.now() : null;
  var shown = 0;
  function seconds() {
    return Math.round((shown + (shownAt ? Date.now() - shownAt : 0)) / 1000);
  }
  /* One "leave" each time the page is hidden (a tab switch, or leaving: pagehide follows a hidden
     page, so it sends only if the page was still visible). */
  var left = false;
  function leave() {
    if (shownAt) { shown += Date.now() - shownAt; shownAt = null; }
    if (!left) { left = true; send("leave", seconds()); }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      leave();
    } else {
      shownAt = Date.now();
      left = false;
    }
  });
  window.addEventListener("pagehide", leave);

  /* Fill the visitor id into forms that ask for it: <input type="hidden" name="visitor">. */
  function fillForms() {
    var fields = document.querySelectorAll('input[name="visitor"]');
    for (var i = 0; i < fields.length; i++) { if (!fields[i].value) { fields[i].value = visitor; } }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fillForms); } else { fillForms(); }

  send("view");
})();
