// Behaviour of every page, without inline scripts or handlers (the Content-Security-Policy
// allows scripts from this site only):
// - <select data-autosubmit>: choosing an option submits its form;
// - <form data-confirm="question">: submitted only once the question is confirmed;
// - <button data-fill="#field" data-value="text">: puts the text into the field;
// - <... class="countdown" data-expires="ISO time">: minutes:seconds left, then a reload;
// - an htmx target inside [data-swap-errors]: htmx swaps in a refused answer (4xx) too, so
//   that the error the server explains in words shows in place (htmx 2 drops it by default).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-fill]");
    if (!button) return;
    var field = document.querySelector(button.dataset.fill);
    if (field) { field.value = button.dataset.value || ""; field.focus(); }
  });
  function countdown() {
    var el = document.querySelector(".countdown[data-expires]");
    if (!el) return;
    var end = Date.parse(el.dataset.expires);
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left === 0) { setTimeout(function () { location.reload(); }, 3000); return; }
      setTimeout(tick, 1000);
    }
    tick();
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail || {};
    var status = detail.xhr ? detail.xhr.status : 0;
    var target = detail.target || event.target;
    if (status >= 400 && status < 500 && target && target.closest && target.closest("[data-swap-errors]")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", countdown);
  else countdown();
})();
