// Mark filing: choosing a point reloads the form with that point's factors (works without JS via the button).
(function () {
  "use strict";
  var select = document.getElementById("point-select");
  if (select) {
    select.addEventListener("change", function () { if (select.value) { select.form.submit(); } });
  }
})();
