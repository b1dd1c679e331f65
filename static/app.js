// The few behaviours htmx does not cover: toasts that can be dismissed, styled
// confirmations for hx-confirm, copy buttons and the small-screen menu. No framework,
// no inline script (the CSP forbids it): everything hangs off data- attributes.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Success toasts leave by themselves; refusals stay until dismissed.
  function scheduleDismissal(root) {
    root.querySelectorAll("[data-toast][data-autohide]").forEach(function (toast) {
      if (toast.dataset.scheduled) return;
      toast.dataset.scheduled = "1";
      setTimeout(function () { toast.remove(); }, 6000);
    });
  }

  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      var toast = dismiss.closest("[data-toast]");
      if (toast) toast.remove();
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.dataset.copy);
      if (!source) return;
      var text = source.value !== undefined ? source.value : source.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        var label = copy.textContent;
        copy.textContent = "Copied";
        setTimeout(function () { copy.textContent = label; }, 2000);
      });
      return;
    }
    var toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      var menu = document.getElementById(toggle.dataset.menuToggle);
      if (!menu) return;
      var open = menu.classList.toggle("hidden") === false;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  // hx-confirm asks in a styled <dialog> instead of the browser's confirm().
  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail.question;
    var dialog = document.getElementById("confirm-dialog");
    if (!question || !dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    dialog.querySelector("[data-confirm-question]").textContent = question;
    var danger = /delete|purge|remove|revoke|suspend|disable/i.test(question);
    var ok = dialog.querySelector("[data-confirm-ok]");
    ok.className = danger ? "btn-danger" : "btn-primary";
    dialog.returnValue = "";
    dialog.onclose = function () {
      if (dialog.returnValue === "ok") event.detail.issueRequest(true);
    };
    dialog.showModal();
    ok.focus();
  });

  // A success banner belongs to the action before: once the person does something
  // else, it would stand beside that action's answer as if it were about it.
  document.addEventListener("htmx:beforeRequest", function () {
    document.querySelectorAll("#notice").forEach(function (notice) { notice.remove(); });
  });

  ready(function () { scheduleDismissal(document); });
  document.addEventListener("htmx:afterSwap", function () { scheduleDismissal(document); });
})();
