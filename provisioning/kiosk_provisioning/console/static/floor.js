// 영상 회의: the room's centres, present in the meeting or not (their box's status says
// which room it is in; a page of them at a time: a room may hold every centre of the city), and in a town meeting the hands up (in the order they
// went up) and the centres given the floor. Polled every data-poll-ms while a meeting
// is on the page; 발언권 주기 / 발언권 거두기 ask the console, which signs the floor
// (console/floor.py: who may be given it, at most data-max-speakers at once).
// 모습 보기 asks the console to show the centres present in the meeting (a dozen at most;
// 다음 ▶ the next ones), 모습 보기 끝 to show nobody. Every state drawn is
// told to meeting.js as a "floor-change" event on #meeting ({floor, shown}): it
// subscribes to the shown centres' pictures, and to no other centre's.
// A floor naming anyone that runs out within the hour (the poll's "renew") is signed
// again as it is while this page is open: a long meeting keeps its speakers.
"use strict";

(function () {
  const root = document.getElementById("meeting");
  const panel = document.getElementById("floor");
  if (!root || !panel) return;
  const base = root.dataset.base || "/meeting/";
  const POLL_MS = Number(panel.dataset.pollMs) || 1000;
  const $ = function (id) { return document.getElementById(id); };
  const send = window.postJSON; // post.js
  let page = 0;
  let drawn = ""; // the last state drawn: a poll that changed nothing redraws nothing
  let latest = null; // the last state drawn, parsed
  let busy = false; // a press is being sent: its buttons stay as they are until done
  let timer = null;
  let renewing = false; // a renewal is being sent: the next polls do not ask again

  function room() { return $("stage").dataset.room; }

  function problem(text) {
    $("floor-problem").textContent = text || "";
    $("floor-problem").hidden = !text;
  }

  // Green: in the meeting. Grey: not in it (its box on elsewhere, or off).
  function dot(row, centre) {
    const mark = row.querySelector(".dot");
    mark.classList.toggle("on", centre.present);
    mark.title = centre.present ? "회의 참석" : centre.online ? "회의에 없음 (켜져 있음)" : "꺼져 있음";
  }

  function clock(at) {
    return new Date(at * 1000).toLocaleTimeString("ko-KR", { hour: "2-digit", minute: "2-digit" });
  }

  function speakers(data) {
    const list = $("floor-speakers");
    list.replaceChildren();
    for (const centre of data.speakers) {
      const row = $("floor-speaker-template").content.firstElementChild.cloneNode(true);
      row.dataset.centre = centre.id;
      row.querySelector(".floor-name").textContent = centre.name;
      dot(row, centre);
      const take = row.querySelector(".floor-take");
      take.setAttribute("aria-label", centre.name + " 발언권 거두기");
      take.addEventListener("click", function () { press(take, "/floor/take", { centre: centre.id }); });
      list.appendChild(row);
    }
    $("floor-speaking-count").textContent = data.speakers.length;
    $("floor-speakers-empty").hidden = data.speakers.length > 0;
    $("floor-take-all").hidden = data.speakers.length < 2;
  }

  function hands(data) {
    const list = $("floor-hands");
    const full = data.speakers.length >= data.max_speakers;
    list.replaceChildren();
    data.hands.forEach(function (centre, i) {
      const row = $("floor-hand-template").content.firstElementChild.cloneNode(true);
      row.dataset.centre = centre.id;
      row.querySelector(".floor-order").textContent = (i + 1) + ".";
      row.querySelector(".floor-name").textContent = centre.name;
      row.querySelector(".floor-at").textContent = clock(centre.at);
      dot(row, centre);
      const give = row.querySelector(".floor-give");
      give.disabled = full;
      give.setAttribute("aria-label", centre.name + " 발언권 주기");
      give.addEventListener("click", function () { press(give, "/floor/give", { centre: centre.id }); });
      list.appendChild(row);
    });
    $("floor-hands-count").textContent = data.hands.length;
    $("floor-hands-empty").hidden = data.hands.length > 0;
    $("floor-full").hidden = !(full && data.hands.length > 0);
  }

  function members(data) {
    const list = $("floor-list");
    list.replaceChildren();
    for (const centre of data.centres) {
      const row = document.createElement("li");
      row.dataset.centre = centre.id;
      row.className = centre.present ? "on" : "off";
      const mark = document.createElement("span");
      mark.className = "dot";
      mark.setAttribute("aria-hidden", "true");
      row.appendChild(mark);
      dot(row, centre);
      const name = document.createElement("span");
      name.className = "floor-name";
      name.textContent = centre.name;
      row.appendChild(name);
      const tag = centre.speaking ? "발언 중" : centre.shown ? "보는 중" : centre.hand ? "손 듦" : "";
      if (tag) {
        const mark2 = document.createElement("span");
        mark2.className = "floor-tag" + (centre.speaking ? " speaking" : centre.shown ? " shown" : "");
        mark2.textContent = tag;
        if (centre.shown && !centre.speaking) mark2.title = "시청에서 모습을 보는 중 (소리 없이)";
        row.appendChild(mark2);
      }
      list.appendChild(row);
    }
    $("floor-pager").hidden = data.pages < 2;
    $("floor-page-at").textContent = (data.page + 1) + " / " + data.pages + " 쪽";
    $("floor-back").disabled = data.page === 0;
    $("floor-next").disabled = data.page >= data.pages - 1;
    page = data.page;
  }

  // 모습 보기: how many centres present in the meeting there are to look at, and 다음 ▶ when there
  // are more than one look takes and some are shown now.
  function look(data) {
    $("floor-look").hidden = !data.floor;
    $("floor-lookable").textContent = data.lookable;
    $("floor-look-page").disabled = data.lookable === 0;
    const looking = (data.shown || []).length > 0;
    $("floor-look-next").hidden = !(looking && data.lookable > data.max_shown);
  }

  function tell(data) {
    root.dispatchEvent(new CustomEvent("floor-change", {
      detail: { floor: Boolean(data.floor), shown: data.shown || [] },
    }));
  }

  function show(data) {
    const text = JSON.stringify(data);
    if (text === drawn || busy) return;
    drawn = text;
    latest = data;
    tell(data);
    if (data.room === null) { // not a room of the build (any more)
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    panel.dataset.floor = data.floor ? "yes" : "no";
    panel.dataset.seq = data.seq;
    $("floor-title").textContent = data.floor ? "발언권" : "경로당";
    $("floor-present").textContent = data.present;
    $("floor-members").textContent = data.members;
    $("floor-stale").hidden = data.connected;
    $("floor-meeting").hidden = !data.floor;
    if (data.floor) {
      speakers(data);
      hands(data);
    }
    members(data);
    look(data);
  }

  function poll() {
    if (!room() || $("stage").hidden) {
      panel.hidden = true;
      drawn = "";
      latest = null;
      return;
    }
    fetch(base + room() + "/floor?page=" + page, { credentials: "same-origin" })
      .then(function (reply) {
        return reply.json().catch(function () { return {}; }).then(function (data) {
          if (!reply.ok) throw new Error(data.error || "상태를 읽지 못했습니다 (" + reply.status + ")");
          return data;
        });
      })
      .then(function (data) {
        show(data);
        if (data.renew && data.connected) renew();
      })
      .catch(function (error) { if (!busy) problem(error.message); });
  }

  function renew() {
    if (renewing) return;
    renewing = true;
    send(base + room() + "/floor/renew", {})
      .then(function () { problem(""); })
      .catch(function (error) { problem(error.message); })
      .finally(function () { renewing = false; });
  }

  function press(button, path, body) {
    problem("");
    busy = true;
    button.disabled = true;
    send(base + room() + path, body)
      .catch(function (error) { problem(error.message); })
      .finally(function () {
        busy = false;
        button.disabled = false; // a row's button is drawn anew; a fixed one is not
        drawn = "";
        poll();
      });
  }

  $("floor-take-all").addEventListener("click", function () {
    press($("floor-take-all"), "/floor/take", { all: true });
  });
  $("floor-look-page").addEventListener("click", function () {
    press($("floor-look-page"), "/floor/show", {});
  });
  $("floor-look-next").addEventListener("click", function () {
    const shown = latest ? latest.shown : [];
    const after = shown.length ? shown[shown.length - 1].id : null;
    press($("floor-look-next"), "/floor/show", { after: after });
  });
  const end = $("audience-end"); // meeting.html's, over the pictures
  if (end) {
    end.addEventListener("click", function () { press(end, "/floor/hide", {}); });
  }
  $("floor-back").addEventListener("click", function () { page -= 1; poll(); });
  $("floor-next").addEventListener("click", function () { page += 1; poll(); });

  timer = setInterval(poll, POLL_MS);
  window.addEventListener("pagehide", function () { clearInterval(timer); });
})();
