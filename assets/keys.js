// Lumiere's keyboard shortcuts (listed in lumiere/services/help_topics.py SHORTCUTS).
// Served from our own origin (the CSP allows no inline script). It only clicks the hidden
// trigger buttons of lumiere/components/keyboard.py and moves focus; it never evaluates text.
(function () {
  "use strict";
  if (window.__lumiereKeys) return;
  window.__lumiereKeys = true;

  var GO_KEYS = { d: "kb-go-d", a: "kb-go-a", c: "kb-go-c", h: "kb-go-h" };
  var BOXES = ["question-box", "chat-message"];
  var SAVE = 'button[data-shortcut="save-insight"]:not([disabled])';
  var pendingG = 0;

  function typing(target) {
    if (!target || !(target instanceof Element)) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    var kind = (target.getAttribute("type") || "text").toLowerCase();
    return ["button", "checkbox", "radio", "submit", "reset", "range", "color", "file", "image"].indexOf(kind) < 0;
  }

  function click(id) {
    var button = document.getElementById(id);
    if (!button) return false;
    button.click();
    return true;
  }

  function dialogOpen() {
    return document.querySelector('[role="dialog"][data-state="open"], [role="alertdialog"][data-state="open"]');
  }

  function saveButton() {
    var button = document.querySelector(SAVE);
    return button && button.offsetParent !== null ? button : null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    var key = event.key;
    // Ctrl/Cmd+K: the palette, from anywhere (a field too: it is no text a field takes).
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (key === "k" || key === "K")) {
      if (click("kb-open-palette")) event.preventDefault();
      return;
    }
    var target = event.target;
    // Esc in the question or message box: straight to the answer's Save button.
    if (key === "Escape" && target && BOXES.indexOf(target.id) >= 0) {
      var save = saveButton();
      if (save) {
        event.preventDefault();
        save.focus();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target) || dialogOpen()) return;

    if (pendingG && Date.now() - pendingG < 1500 && GO_KEYS[key]) {
      pendingG = 0;
      if (click(GO_KEYS[key])) event.preventDefault();
      return;
    }
    pendingG = 0;
    if (key === "g") {
      pendingG = Date.now();
    } else if (key === "?") {
      if (click("kb-open-shortcuts")) event.preventDefault();
    } else if (key === "/") {
      for (var i = 0; i < BOXES.length; i++) {
        var box = document.getElementById(BOXES[i]);
        if (box) {
          event.preventDefault();
          box.focus();
          return;
        }
      }
    } else if (key === "n") {
      if (click("kb-new-chat")) event.preventDefault();
    } else if (key === "s") {
      var button = saveButton();
      if (button && button.getAttribute("aria-pressed") !== "true") {
        event.preventDefault();
        button.focus();
        button.click();
      }
    }
  });
})();
