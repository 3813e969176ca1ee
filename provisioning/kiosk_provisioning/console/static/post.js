// The console's pages' JSON requests: postJSON(url, body) POSTs body as JSON with the
// page's CSRF token and resolves with the answer's JSON, or rejects with the console's
// own words for a refusal (its "error"), else the status.
"use strict";

window.postJSON = function (url, body) {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  }).then(function (reply) {
    return reply.json().catch(function () { return {}; }).then(function (data) {
      if (!reply.ok) throw new Error(data.error || "요청이 거절되었습니다 (" + reply.status + ")");
      return data;
    });
  });
};
