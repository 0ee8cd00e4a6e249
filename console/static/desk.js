/* The desk refreshes itself without a framework: it polls its JSON every few seconds, updates the ticking
   figures in place, and when what the page's forms act on has changed (its fingerprint) it fetches the page
   again and paints that one region from it, so every form keeps its server-made CSRF token. The keyboard focus
   stays on the same button when it is still there. Only the summary line is an aria-live region, and it is
   rewritten only when its words change. The server paints the first view: without this script the page reads
   the same, as of its loading. */
(function () {
  "use strict";

  if (!window.fetch || !window.DOMParser) {
    return;
  }

  function setText(node, text) {
    if (node && text !== undefined && text !== null && node.textContent !== String(text)) {
      node.textContent = String(text);
    }
  }

  function callsOf(data) {
    var calls = {};
    (data.calls || []).concat(data.call ? [data.call] : []).forEach(function (call) {
      calls[String(call.id)] = call;
    });
    return calls;
  }

  function focusKey(region) {
    var active = document.activeElement;
    if (!active || !region.contains(active)) {
      return null;
    }
    var form = active.form;
    var leg = form && form.elements.leg ? form.elements.leg.value : null; // one form per participant
    return {action: form ? form.getAttribute("action") : null, leg: leg, name: active.name, value: active.value,
            id: active.id};
  }

  function restoreFocus(region, key) {
    if (!key) {
      return;
    }
    var target = key.id ? document.getElementById(key.id) : null;
    if (!target && key.action) {
      Array.prototype.forEach.call(region.querySelectorAll("form"), function (form) {
        var leg = form.elements.leg ? form.elements.leg.value : null;
        if (!target && form.getAttribute("action") === key.action && leg === key.leg) {
          target = Array.prototype.find.call(form.elements, function (field) {
            return field.name === key.name && field.value === key.value;
          }) || null;
        }
      });
    }
    // The button is gone (its action is done): the region's first heading takes the focus, not the page's top.
    target = target || region.querySelector("h2[tabindex], h2, h3");
    if (target) {
      if (!target.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }

  function repaint(box, region) {
    return fetch(window.location.href, {credentials: "same-origin", cache: "no-store", redirect: "manual"})
      .then(function (response) {
        if (!response.ok) {
          throw new Error("unavailable");
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
        if (!fresh) {
          throw new Error("unavailable");
        }
        var key = focusKey(region);
        region.replaceChildren.apply(region, Array.prototype.map.call(fresh.childNodes, function (node) {
          return document.importNode(node, true);
        }));
        restoreFocus(region, key);
      });
  }

  function watch(box) {
    var source = box.getAttribute("data-source");
    var region = document.getElementById(box.getAttribute("data-region"));
    var interval = (parseInt(box.getAttribute("data-interval"), 10) || 3) * 1000;
    var fingerprint = box.getAttribute("data-fingerprint");
    var failures = 0;

    function draw(data) {
      var calls = callsOf(data);
      Array.prototype.forEach.call(box.querySelectorAll("[data-field]"), function (node) {
        var owner = node.hasAttribute("data-call") ? calls[node.getAttribute("data-call")] : data;
        if (owner) {
          setText(node, owner[node.getAttribute("data-field")]);
        }
      });
      setText(box.querySelector("[role=status]"), data.summary);
      if (data.fingerprint !== fingerprint) {
        fingerprint = data.fingerprint;
        return repaint(box, region);
      }
      return null;
    }

    function stop() {
      var notice = box.querySelector("[data-stopped-notice]");
      notice.textContent = box.getAttribute("data-stopped");
      notice.hidden = false;
    }

    function poll() {
      fetch(source, {credentials: "same-origin", cache: "no-store", redirect: "manual",
                     headers: {"Accept": "application/json"}})
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
            throw new Error("signed-out");
          }
          if (!response.ok || type.indexOf("application/json") === -1) {
            throw new Error("unavailable");
          }
          return response.json();
        })
        .then(draw)
        .then(function () {
          failures = 0;
          window.setTimeout(poll, interval);
        })
        .catch(function (error) {
          failures += 1;
          if (error.message === "signed-out" || failures >= 5) {
            stop();
            return;
          }
          window.setTimeout(poll, interval * failures);
        });
    }

    window.setTimeout(poll, interval);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-desk-poll]"), watch);
}());
