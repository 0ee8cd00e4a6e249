// Route preview: the answer is read first (the form stays above it for the next try).
(function () {
  "use strict";
  var heard = document.getElementById("heard-title");
  if (heard) { heard.focus(); }
}());

// Chain editor: show only the fields the chosen action uses (without JavaScript every field shows, and the
// server ignores the ones an action does not use).
(function () {
  "use strict";
  var USED = {
    queue: ["pool"], forward: ["target", "timeout", "label", "label_en"], handoff: ["timeout"],
    message: ["message", "message_en"], callback: [], notify_email: [], end: [], association: ["mode"]
  };
  function update(select) {
    var rule = select.closest("fieldset.rule");
    var used = USED[select.value] || [];
    rule.querySelectorAll("[data-for]").forEach(function (field) {
      field.hidden = used.indexOf(field.getAttribute("data-for")) === -1;
    });
  }
  document.querySelectorAll("fieldset.rule select[id$='-action']").forEach(function (select) {
    update(select);
    select.addEventListener("change", function () { update(select); });
  });
}());
