// The time zone select: offer the browser's own zone when it differs from the saved one
// (the server cannot know it; nothing is saved until the user presses Save).
(function () {
  "use strict";

  function offerBrowserZone(select) {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (err) {
      return;
    }
    if (!zone || zone === select.dataset.saved) return;
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (!known) return;
    var hint = select.parentElement.querySelector(".tz-detected");
    if (!hint) return;
    hint.querySelector(".tz-name").textContent = zone;
    hint.hidden = false;
    hint.querySelector(".tz-use").addEventListener("click", function () {
      select.value = zone;
      select.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("time_zone");
    if (select) offerBrowserZone(select);
  });
})();
