// Registry forms: a user's scope fields follow the chosen role; the field named in an error gets the focus.
(function () {
  "use strict";
  var form = document.getElementById("admin-form");
  if (!form) { return; }
  var SCOPE = { regulator: ["region_code"], enterprise: ["enterprise_id"], om: ["maintained_points"], park: ["park_code"] };
  var role = form.querySelector('select[name="role"]');
  function follow() {
    var wanted = SCOPE[role.value] || [];
    ["region_code", "enterprise_id", "park_code", "maintained_points"].forEach(function (name) {
      var label = form.querySelector('label[data-field="' + name + '"]');
      if (label) { label.hidden = wanted.indexOf(name) < 0; }
    });
  }
  if (role) { role.addEventListener("change", follow); follow(); }
  var error = document.querySelector(".form-error[data-field]");
  if (error && error.dataset.field) {
    var input = form.querySelector('[name="' + error.dataset.field + '"]');
    if (input) { input.focus(); }
  }
})();
