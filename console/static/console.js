// What every console page shares: the error summary (GOV.UK pattern) and fields that choose their own option.
(function () {
  "use strict";
  // A refused form opens on its error summary; each link puts the focus on the field it names.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']");
      (label || field).scrollIntoView();
      field.focus();
    });
  }
  // Typing in a field tied to a radio button (data-chooses="radio id") chooses that button.
  document.querySelectorAll("[data-chooses]").forEach(function (field) {
    var radio = document.getElementById(field.getAttribute("data-chooses"));
    if (!radio) { return; }
    ["input", "change"].forEach(function (kind) {
      field.addEventListener(kind, function () { if (field.value) { radio.checked = true; } });
    });
  });
}());
