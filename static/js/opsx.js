// opsx: small progressive enhancements on top of htmx. Pages work without this file.
(function () {
  "use strict";
  // Keep the CSRF token fresh for htmx requests after a login in another tab rotated it.
  document.addEventListener("htmx:configRequest", function (event) {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) { event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]); }
  });
  // Session expired while the page was open: go to the login page instead of swapping in nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403 || status === 404 || status === 409 || status === 412) {
      var box = document.getElementById("messages");
      if (box) {
        var p = document.createElement("p");
        p.className = "flash flash-error";
        p.setAttribute("role", "alert");
        p.textContent = status === 403 ? "You are not allowed to do that." :
          status === 404 ? "That record is gone or not shared with you." :
          "Someone else changed this in the meantime. Reload to see their version.";
        box.appendChild(p);
      }
    }
  });
  // Review answers: "None of these" and the practices exclude each other, so ticking one unticks the
  // other kind before the answer is saved (the server refuses the combination anyway).
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[type=checkbox][name=selected]") || !box.checked) { return; }
    var form = box.closest("form");
    if (!form) { return; }
    var none = box.hasAttribute("data-none-of-these");
    form.querySelectorAll("input[type=checkbox][name=selected]").forEach(function (other) {
      if (other !== box && other.hasAttribute("data-none-of-these") !== none) { other.checked = false; }
    });
  }, true);
  // Multiple-choice filters: keep the dropdown's summary ("2 selected") in step with its checkboxes.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches(".filter-multi input[type=checkbox]")) { return; }
    var details = box.closest("details");
    var count = details.querySelectorAll("input:checked").length;
    details.querySelector("summary").textContent = count ? count + " selected" : "Any";
  });
  // Dashboards: picking a first or last day chooses the custom range (without JavaScript, choose it by hand).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form.filters input[name=start], form.filters input[name=end]")) { return; }
    var period = input.form.querySelector("select[name=period]");
    if (period && input.value) { period.value = "custom"; }
  }, true);
})();
