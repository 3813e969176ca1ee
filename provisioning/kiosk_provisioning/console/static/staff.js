// 직원 관리: a form with data-confirm asks before it is sent (deactivating signs a
// colleague out at once). No inline handlers: the page's CSP allows only this file.
"use strict";
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
});
