// 영상 회의: the host asks the room's centres a question (2 to 4 answers), watches the
// answers come in (polled every second: per answer as bars, per centre in a table),
// closes it, and may show the result on every screen. Answers that came after the
// question closed are listed apart and never counted (the console decides, not this page).
"use strict";

(function () {
  const root = document.getElementById("meeting");
  const form = document.getElementById("question-form");
  if (!root || !form) return;
  const base = root.dataset.base || "/meeting/";
  const $ = function (id) { return document.getElementById(id); };
  const POLL_MS = 1000;
  const STATES = { open: "받는 중", closed: "끝남", result: "끝남 · 결과를 화면에 보이는 중" };
  let current = null;
  let dismissed = null; // a finished question the host put away (새 질문)
  let timer = null;

  function room() { return $("stage").dataset.room; }

  const send = window.postJSON; // post.js

  function problem(text) {
    $("question-problem").textContent = text || "";
    $("question-problem").hidden = !text;
  }

  function bars(data) {
    const list = $("question-bars");
    const most = Math.max(1, data.members);
    while (list.children.length > data.answers.length) list.lastChild.remove();
    data.answers.forEach(function (answer, i) {
      let bar = list.children[i];
      if (!bar) {
        bar = $("question-bar-template").content.firstElementChild.cloneNode(true);
        bar.classList.add("answer-" + (i + 1));
        list.appendChild(bar);
      }
      bar.dataset.count = data.counts[i];
      bar.querySelector(".question-bar-label").textContent = (i + 1) + ". " + answer;
      bar.querySelector(".question-bar-fill").style.width = (100 * data.counts[i] / most) + "%";
      bar.querySelector(".question-bar-count").textContent = data.counts[i] + "곳";
    });
  }

  function centres(data) {
    const body = $("question-centres");
    body.replaceChildren();
    for (const centre of data.centres) {
      const row = document.createElement("tr");
      row.dataset.centre = centre.id;
      for (const text of [centre.name, centre.answer || "아직 없음", centre.late]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      }
      if (!centre.answer) row.children[1].className = "muted";
      body.appendChild(row);
    }
  }

  function show(data) {
    current = data && data.id ? data : null;
    form.hidden = Boolean(current && current.state === "open");
    $("question-live").hidden = !current;
    if (!current) return;
    $("question-live").dataset.state = current.state;
    $("question-live").dataset.question = current.id;
    $("question-state").textContent = STATES[current.state] || current.state;
    $("question-asked-text").textContent = current.text;
    $("question-answered").textContent = current.answered;
    $("question-members").textContent = current.members;
    bars(current);
    centres(current);
    $("question-close").hidden = current.state !== "open";
    $("question-show").hidden = current.state === "result";
    $("question-new").hidden = current.state === "open";
  }

  function poll() {
    if (!room() || $("stage").hidden) return;
    fetch(base + room() + "/questions/latest", { credentials: "same-origin" })
      .then(function (reply) { return reply.ok ? reply.json() : Promise.reject(reply.status); })
      .then(function (data) { show(data.id && data.id === dismissed ? {} : data); })
      .catch(function () { /* the next poll tries again; the last answers stay shown */ });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    problem("");
    const answers = Array.from(form.querySelectorAll('input[name="answer"]')).map(function (i) { return i.value; });
    $("question-ask").disabled = true;
    send(base + room() + "/questions", { text: $("question-text").value, answers: answers })
      .then(function () { $("question-text").value = ""; poll(); })
      .catch(function (error) { problem(error.message); })
      .finally(function () { $("question-ask").disabled = false; });
  });

  function close(show) {
    if (!current) return;
    problem("");
    send(base + room() + "/questions/" + current.id + "/close", { show: show })
      .then(poll)
      .catch(function (error) { problem(error.message); });
  }

  $("question-close").addEventListener("click", function () { close(false); });
  $("question-show").addEventListener("click", function () { close(true); });
  $("question-new").addEventListener("click", function () {
    dismissed = current ? current.id : null;
    show({});
    form.hidden = false;
    $("question-text").focus();
  });

  timer = setInterval(poll, POLL_MS);
  window.addEventListener("pagehide", function () { clearInterval(timer); });
})();
