/* The live board's banner (Twilio's REST API failing, the scheduler stopped) follows the engine's health: it is
   fetched again every 30 seconds and redrawn only when its words change. */
(function () {
  "use strict";
  var box = document.getElementById("live-health");
  if (!box || !window.fetch) { return; }
  var source = box.getAttribute("data-source");
  var shown = box.getAttribute("data-key") || "";  // what the server painted

  function paragraph(text) {
    var node = document.createElement("p");
    node.textContent = text;
    return node;
  }

  function draw(banners) {
    var key = banners.map(function (banner) { return banner.key; }).join("|");
    if (key === shown) { return; }
    shown = key;
    var parts = document.createDocumentFragment();
    banners.forEach(function (banner) {
      var section = document.createElement("section");
      section.className = "health-banner";
      section.setAttribute("role", "alert");
      section.setAttribute("aria-labelledby", "health-" + banner.what);
      var title = document.createElement("h2");
      title.id = "health-" + banner.what;
      title.textContent = banner.title;
      section.appendChild(title);
      section.appendChild(paragraph(banner.since + (banner.detail ? " " + banner.detail : "")));
      var callers = paragraph(" " + banner.callers);
      var label = document.createElement("strong");
      label.textContent = banner.callers_label;
      callers.insertBefore(label, callers.firstChild);
      section.appendChild(callers);
      section.appendChild(paragraph(banner.action));
      parts.appendChild(section);
    });
    box.replaceChildren(parts);
  }

  function poll() {
    fetch(source, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { draw(data.health); } })
      .catch(function () { /* the board's own poll says when the page must be reloaded */ });
  }

  window.setInterval(poll, 30000);
}());
