// opsx: small progressive enhancements on top of htmx. Pages work without this file.
(function () {
  "use strict";
  // Keep the CSRF token fresh for htmx requests after a login in another tab rotated it.
  document.addEventListener("htmx:configRequest", function (event) {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) { event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]); }
  });
  // Session expired while the page was open: go to the login page instead of swapping in nothing.
  // Too large (413) and too many requests (429) come with a plain-text reason (and Retry-After): show it.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var status = xhr.status;
    var text = null;
    if (status === 403 || status === 404 || status === 409 || status === 412) {
      text = status === 403 ? "You are not allowed to do that." :
        status === 404 ? "That record is gone or not shared with you." :
        "Someone else changed this in the meantime. Reload to see their version.";
    } else if (status === 413 || status === 429) {
      var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
      text = plain && xhr.responseText.length < 500 ? xhr.responseText :
        status === 413 ? "That is too large to send." : "Too many requests. Wait a moment and try again.";
    }
    var box = document.getElementById("messages");
    if (text && box) {
      var previous = box.querySelector("[data-response-error]");
      if (previous) { previous.remove(); }  // one message, not one per keystroke
      var p = document.createElement("p");
      p.className = "flash flash-error";
      p.setAttribute("role", "alert");
      p.setAttribute("data-response-error", String(status));
      p.textContent = text;
      box.appendChild(p);
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
  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Postmortem editor: autosave that never fights the user. One save at a time: an autosave never
  // starts while another is on its way, and Save pressed during an autosave waits for its answer,
  // then posts with the version that answer carries. The server treats a save of the stored text as
  // a no-op, so the user's own autosave never turns their Save into a conflict; only another
  // person's different text does (the server then shows the merge view).
  function initAutosave(form) {
    var url = form.getAttribute("data-autosave-url");
    var every = Math.max(parseInt(form.getAttribute("data-autosave-seconds"), 10) || 20, 5) * 1000;
    var version = form.querySelector("input[name=version]");
    var timer = null, inflight = null, dirty = false, stopped = false, submitting = false;

    function say(text) {
      var status = document.getElementById("autosave-status");
      if (status) { status.textContent = text; }
    }
    function schedule(ms) {
      clearTimeout(timer);
      timer = setTimeout(save, ms);
    }
    function apply(html) {
      var holder = document.createElement("template");
      holder.innerHTML = html;
      var fresh = holder.content.querySelector("#autosave-status");
      var current = document.getElementById("autosave-status");
      if (!fresh || !current) { return; }
      current.replaceWith(fresh);
      var stored = fresh.getAttribute("data-version");
      if (stored) { version.value = stored; }
      if (fresh.hasAttribute("data-autosave-stop")) { stopped = true; }
    }
    function done() {
      inflight = null;
      if (dirty && !stopped && !submitting) { schedule(2000); }
    }
    function save() {
      clearTimeout(timer);
      if (inflight || stopped || submitting || !dirty) { return; }
      dirty = false;
      inflight = fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: {"HX-Request": "true", "X-CSRFToken": csrfToken()}
      }).then(function (response) {
        return response.text().then(function (text) {
          if (response.ok) { apply(text); return; }
          stopped = response.status < 500;
          dirty = true;
          say("Not autosaved (the server answered " + response.status + "). Your text is still here; press Save.");
        });
      }, function () {
        dirty = true;
        say("Not autosaved: the server could not be reached. Your text is still here.");
      }).then(done, done);
    }
    form.addEventListener("input", function () {
      dirty = true;
      if (!inflight) { schedule(2000); }
    });
    // The timeline section can be replaced by the incident's current timeline (an htmx swap).
    form.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target && event.detail.target.tagName === "TEXTAREA") { dirty = true; schedule(2000); }
    });
    setInterval(function () { if (dirty) { save(); } }, every);
    form.addEventListener("submit", function (event) {
      clearTimeout(timer);
      if (submitting) { event.preventDefault(); return; }
      submitting = true;
      if (inflight) {
        event.preventDefault();
        say("Saving…");
        inflight.then(function () { form.submit(); });
      }
    });
  }

  // Reviewer picker: a filter box over a plain checkbox list (the list works without this script).
  // Type to filter; Down moves into the list, Up/Down move between the people shown, Up from the
  // first goes back to the box, Enter picks the only match, Escape clears the filter.
  function initPicker(fieldset) {
    var list = fieldset.querySelector(".people-picker-options");
    var options = Array.prototype.slice.call(fieldset.querySelectorAll(".people-picker-option"));
    if (!list || !options.length) { return; }
    var search = document.createElement("input");
    search.type = "search";
    search.className = "people-picker-search";
    search.placeholder = "Type a name to filter";
    search.autocomplete = "off";
    search.setAttribute("aria-label", "Filter the people below by name");
    search.setAttribute("aria-controls", list.id);
    var summary = document.createElement("p");
    summary.className = "people-picker-summary muted";
    summary.setAttribute("aria-live", "polite");
    list.parentNode.insertBefore(search, list);
    list.parentNode.insertBefore(summary, list);

    function box(option) { return option.querySelector("input"); }
    function shown() { return options.filter(function (o) { return !o.hidden; }); }
    function update() {
      var query = search.value.trim().toLowerCase();
      var count = 0;
      options.forEach(function (option) {
        var match = !query || option.textContent.toLowerCase().indexOf(query) !== -1;
        option.hidden = !match;
        if (match) { count += 1; }
      });
      var picked = options.filter(function (o) { return box(o).checked; }).map(function (o) {
        return o.textContent.trim();
      });
      var matching = query ? count + " of " + options.length + " people match" : options.length + " people";
      summary.textContent = (picked.length ? "Selected: " + picked.join(", ") : "Nobody selected yet") + " · " + matching;
    }
    search.addEventListener("input", update);
    fieldset.addEventListener("change", update);
    search.addEventListener("keydown", function (event) {
      var visible = shown();
      if (event.key === "Enter") {
        event.preventDefault();  // never submits the form from the filter box
        if (visible.length === 1) { box(visible[0]).click(); }
      } else if (event.key === "ArrowDown" && visible.length) {
        event.preventDefault();
        box(visible[0]).focus();
      } else if (event.key === "Escape" && search.value) {
        event.preventDefault();
        search.value = "";
        update();
      }
    });
    list.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
      var boxes = shown().map(box);
      var index = boxes.indexOf(document.activeElement);
      if (index === -1) { return; }
      event.preventDefault();
      if (event.key === "ArrowUp" && index === 0) { search.focus(); return; }
      var next = boxes[index + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) { next.focus(); }
    });
    update();
  }

  function enhance(root) {
    if (!root.querySelectorAll) { return; }
    root.querySelectorAll("form[data-autosave-url]:not([data-enhanced])").forEach(function (form) {
      form.setAttribute("data-enhanced", "");
      initAutosave(form);
    });
    root.querySelectorAll("[data-people-picker]:not([data-enhanced])").forEach(function (fieldset) {
      fieldset.setAttribute("data-enhanced", "");
      initPicker(fieldset);
    });
  }
  enhance(document);
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
  // Dashboards: picking a first or last day chooses the custom range (without JavaScript, choose it by hand).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form.filters input[name=start], form.filters input[name=end]")) { return; }
    var period = input.form.querySelector("select[name=period]");
    if (period && input.value) { period.value = "custom"; }
  }, true);
})();
