/* The live board refreshes itself: it polls its JSON every few seconds and redraws the tables in place.
   The server paints the first view, so the page reads the same without this script. Only the one-line
   summary is an aria-live region, and it is rewritten only when its words change: a screen reader hears
   "3 en attente" when a caller arrives, not the whole board every five seconds. */
(function () {
  "use strict";

  var board = document.getElementById("live-board");
  if (!board || !window.fetch) {
    return;
  }
  var source = board.getAttribute("data-source");
  var interval = (parseInt(board.getAttribute("data-interval"), 10) || 5) * 1000;
  var failures = 0;

  function byId(id) {
    return document.getElementById(id);
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function setText(node, text) {
    if (node && node.textContent !== text) {
      node.textContent = text;
    }
  }

  function drawWaiting(data) {
    var table = byId("live-waiting");
    var body = table.tBodies[0];
    var rows = document.createDocumentFragment();
    data.waiting.forEach(function (caller) {
      var row = element("tr");
      var position = element("th", caller.position);
      position.setAttribute("scope", "row");
      row.appendChild(position);
      [caller.pool, caller.language, caller.wait, caller.state].forEach(function (value) {
        row.appendChild(element("td", value));
      });
      rows.appendChild(row);
    });
    body.replaceChildren(rows);
    table.hidden = data.waiting.length === 0;
    var empty = byId("live-waiting-empty");
    setText(empty, data.waiting_empty);
    empty.hidden = data.waiting.length !== 0;
  }

  function drawListeners(data) {
    var groups = document.createDocumentFragment();
    data.listeners.forEach(function (group) {
      var section = element("section", null, "live-group presence-" + group.status);
      var heading = element("h3", group.label + " (" + group.count + ")");
      heading.id = "group-" + group.status;
      section.setAttribute("aria-labelledby", heading.id);
      section.appendChild(heading);
      if (group.people.length) {
        var list = element("ul");
        group.people.forEach(function (person) {
          var item = element("li", person.name + " ");
          item.appendChild(element("span", person.since, "since"));
          list.appendChild(item);
        });
        section.appendChild(list);
      } else {
        section.appendChild(element("p", group.empty, "nobody"));
      }
      groups.appendChild(section);
    });
    byId("live-listeners").replaceChildren(groups);
  }

  function drawToday(data) {
    var fields = byId("live-today").querySelectorAll("[data-field]");
    Array.prototype.forEach.call(fields, function (field) {
      setText(field, String(data.today[field.getAttribute("data-field")]));
    });
    setText(byId("label-service-level"), data.today.service_level_label);
  }

  function draw(data) {
    var status = byId("live-status");
    setText(status, data.status.text);
    status.className = "status " + (data.status.open ? "is-open" : "is-closed");
    drawWaiting(data);
    drawListeners(data);
    drawToday(data);
    setText(byId("live-updated"), data.updated);
    setText(byId("live-summary"), data.summary); // unchanged words: nothing is announced
  }

  function stop() {
    var notice = byId("live-stopped");
    notice.textContent = board.getAttribute("data-stopped");
    notice.hidden = false;
  }

  function poll() {
    fetch(source, {credentials: "same-origin", cache: "no-store", redirect: "manual",
                   headers: {"Accept": "application/json"}})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          throw new Error("signed-out"); // the session ended: reloading leads to the sign-in page
        }
        if (!response.ok || type.indexOf("application/json") === -1) {
          throw new Error("unavailable");
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        draw(data);
        window.setTimeout(poll, interval);
      })
      .catch(function (error) {
        failures += 1;
        if (error.message === "signed-out" || failures >= 5) {
          stop();
          return;
        }
        window.setTimeout(poll, interval * failures); // a server restarting: try again, less often
      });
  }

  window.setTimeout(poll, interval);
}());
