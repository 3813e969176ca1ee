// 의견 메시지: tell the console once when the chosen message starts playing (the
// first staff member to play it is shown in the list).
"use strict";
(function () {
  const player = document.getElementById("player");
  if (!player) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let told = false;
  player.addEventListener("playing", function () {
    if (told) return;
    told = true;
    fetch(player.dataset.playedUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf },
      credentials: "same-origin",
    }).then(function (answer) {
      const who = document.getElementById("played-by");
      if (answer.ok && who && who.dataset.nobody !== undefined) {
        who.textContent = player.dataset.me + " · 방금";
      }
    }).catch(function () { told = false; });
  });
})();
