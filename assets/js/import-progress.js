// An import job's page: asks the job's status every second and moves the bar and the figures on; once the job
// has finished, reloads the page, which then shows its outcome, its errors and what can be done next. Without
// JavaScript, the page's Refresh link does the same. The status address comes from the page (data-status-url).
(function () {
  "use strict";

  var root = document.getElementById("import-job");
  if (!root || root.getAttribute("data-finished") === "true") return;
  var statusUrl = root.getAttribute("data-status-url");

  var STATES = {
    queued: ["Queued", "govuk-tag--grey"],
    running: ["Running", "govuk-tag--blue"],
    done: ["Done", "govuk-tag--green"],
    failed: ["Failed", "govuk-tag--red"],
    cancelled: ["Cancelled", "govuk-tag--yellow"],
  };

  function number(value) {
    return Number(value).toLocaleString("en-GB");
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "";
    seconds = Math.round(seconds);
    if (seconds < 1) return "under a second";
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    var words = [];
    [[hours, "hour"], [minutes, "minute"], [rest, "second"]].forEach(function (part) {
      if (part[0]) words.push(part[0] + " " + part[1] + (part[0] === 1 ? "" : "s"));
    });
    return words.slice(0, 2).join(" ");
  }

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element && text !== undefined) element.textContent = text;
  }

  function show(status) {
    var state = STATES[status.state] || [status.state, ""];
    var tag = document.querySelector("#import-state .govuk-tag");
    if (tag) {
      tag.textContent = state[0];
      tag.className = "govuk-tag " + state[1];
    }
    if (status.phase) setText("import-phase", status.phase.charAt(0).toUpperCase() + status.phase.slice(1));
    var bar = document.getElementById("import-progress");
    if (bar && status.rows_total) {
      bar.max = status.rows_total;
      bar.value = Math.min(status.rows_done, status.rows_total);
      var percent = Math.min(100, Math.round((100 * status.rows_done) / status.rows_total));
      setText(
        "import-progress-text",
        number(status.rows_done) + " of " + number(status.rows_total) + " rows (" + percent + "%)"
      );
    }
    if (status.elapsed_seconds !== null) setText("import-elapsed", duration(status.elapsed_seconds));
    setText("import-estimate", duration(status.estimate_seconds_left) || "Not known yet");
    if (status.counts) {
      setText(
        "import-counts",
        number(status.counts.new) + " new, " + number(status.counts.updated) + " updated, " +
          number(status.counts.unchanged) + " unchanged"
      );
    }
  }

  function poll() {
    fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        // A missed answer (a restart, the network): try again a little later; the Refresh link still works.
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
