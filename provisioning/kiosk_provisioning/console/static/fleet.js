// 경로당 현황: fills the table from /fleet/state.json and keeps it current.
//
// The table is built once from the first answer (one <tbody> per district); every
// POLL_MS the page asks again with the version it has, and only the rows whose data
// changed are written again (the "since" words are refreshed as time passes).
"use strict";

(() => {
  const POLL_MS = 2000;
  const root = document.getElementById("fleet");
  if (!root) return;
  const stateUrl = root.dataset.stateUrl;
  const callUrl = root.dataset.callUrl || "";
  const table = document.getElementById("fleet-table");
  const summary = document.getElementById("fleet-summary");
  const linkProblem = document.getElementById("fleet-link");
  const shown = document.getElementById("fleet-shown");
  const empty = document.getElementById("fleet-empty");
  const filters = {
    district: document.getElementById("fleet-district"),
    offline: document.getElementById("fleet-offline"),
    problems: document.getElementById("fleet-problems"),
    search: document.getElementById("fleet-search"),
  };
  const DEVICE_NAMES = ["카메라", "마이크", "스피커"];
  const DEVICE_MARKS = { ok: "✓", "none chosen": "?", missing: "✗" };
  const STATE_WORDS = { online: "켜짐", offline: "꺼짐" };

  const rows = new Map(); // centre id -> {data, key, tr, cells}
  const groups = new Map(); // district -> {body, head}
  let version = null;
  let serverSkew = 0; // server's clock minus ours, seconds
  let lastAnswer = null; // Date of the last answer from the console

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function hhmm(date) {
    return date.toLocaleTimeString("ko-KR", { hour: "2-digit", minute: "2-digit", hour12: false });
  }

  function nowSeconds() {
    return Date.now() / 1000 + serverSkew;
  }

  function ago(since) {
    const seconds = Math.max(0, nowSeconds() - since);
    if (seconds < 60) return "방금 전부터";
    if (seconds < 3600) return `${Math.floor(seconds / 60)}분 전부터`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)}시간 전부터`;
    return `${Math.floor(seconds / 86400)}일 전부터`;
  }

  function stateWords(data) {
    if (data.state === "never") return "연결된 적 없음";
    const word = STATE_WORDS[data.state] || data.state;
    return data.since ? `${ago(data.since)} ${word}` : word;
  }

  function trouble(data) {
    return data.issues.length > 0 || Boolean(data.error);
  }

  // -- one row -------------------------------------------------------------------------

  function newRow(data) {
    const tr = make("tr");
    tr.dataset.centre = data.id;
    const cells = {
      name: make("th"),
      state: make("td", "state"),
      screen: make("td", "screen"),
      devices: make("td", "devices"),
      version: make("td", "version"),
      revision: make("td", "revision"),
      issues: make("td", "issues"),
    };
    cells.name.scope = "row";
    for (const cell of Object.values(cells)) tr.append(cell);
    if (callUrl) {
      const call = make("a", "button call", "전화");
      call.href = callUrl.replace("CENTRE", encodeURIComponent(data.id));
      call.setAttribute("aria-label", `${data.name}에 전화`);
      const td = make("td", "action");
      td.append(call);
      tr.append(td);
    }
    const entry = { data, key: "", tr, cells };
    fill(entry, data);
    return entry;
  }

  function fill(entry, data) {
    const key = JSON.stringify(data);
    if (key === entry.key) return;
    const { tr, cells } = entry;
    entry.data = data;
    entry.key = key;
    tr.className = `centre is-${data.state}${trouble(data) ? " trouble" : ""}`;
    cells.name.replaceChildren(make("span", "name", data.name || data.id), " ", make("span", "id", data.id));
    cells.state.title = data.since ? new Date(data.since * 1000).toLocaleString("ko-KR") + "부터" : "";
    cells.state.textContent = stateWords(data);
    cells.screen.textContent = data.screen || "—";
    cells.devices.replaceChildren();
    if (data.state === "online" || data.version) {
      data.devices.forEach((word, i) => {
        const chip = make("span", `device ${word ? word.replace(" ", "-") : "unknown"}`);
        chip.textContent = `${DEVICE_NAMES[i]} ${DEVICE_MARKS[word] || "-"}`;
        chip.title = { ok: "있음", "none chosen": "있지만 선택 안 됨", missing: "없음" }[word] || "모름";
        cells.devices.append(chip, " ");
      });
    } else {
      cells.devices.textContent = "—";
    }
    cells.version.textContent = data.version || "—";
    const behind = data.revision !== null && data.built !== null && data.built > data.revision;
    cells.revision.className = behind ? "revision behind" : "revision";
    cells.revision.textContent = data.revision === null ? "—" : `${data.revision}판${behind ? ` (최신 ${data.built})` : ""}`;
    cells.issues.replaceChildren();
    if (data.issues.length) cells.issues.append(make("span", "issue", data.issues.join(" · ")));
    if (data.error) cells.issues.append(make("span", "error", data.error));
  }

  function refreshSince(entry) {
    const words = stateWords(entry.data);
    if (entry.cells.state.textContent !== words) entry.cells.state.textContent = words;
  }

  // -- the table -------------------------------------------------------------------------

  function build(list) {
    for (const { body } of groups.values()) body.remove();
    rows.clear();
    groups.clear();
    const fragment = document.createDocumentFragment();
    const columns = table.tHead.rows[0].cells.length;
    for (const data of list) {
      let group = groups.get(data.district);
      if (!group) {
        const body = make("tbody", "district");
        body.dataset.district = data.district;
        const headRow = make("tr", "district-head");
        const head = make("th", "", "");
        head.colSpan = columns;
        head.scope = "rowgroup";
        headRow.append(head);
        body.append(headRow);
        group = { body, head };
        groups.set(data.district, group);
        fragment.append(body);
      }
      const entry = newRow(data);
      rows.set(data.id, entry);
      group.body.append(entry.tr);
    }
    table.append(fragment);
  }

  function sameCentres(list) {
    if (list.length !== rows.size) return false;
    return list.every((data) => rows.has(data.id) && rows.get(data.id).data.district === data.district);
  }

  function update(list) {
    if (!sameCentres(list)) {
      build(list);
      return;
    }
    for (const data of list) fill(rows.get(data.id), data);
  }

  function counts(entries) {
    let online = 0;
    let offline = 0;
    let never = 0;
    let problems = 0;
    for (const { data } of entries) {
      if (data.state === "online") online += 1;
      else if (data.state === "never") never += 1;
      else offline += 1;
      if (trouble(data)) problems += 1;
    }
    return { total: entries.length, online, offline, never, problems };
  }

  function countWords(c) {
    const parts = [`${c.total}곳`, `켜짐 ${c.online}`, `꺼짐 ${c.offline}`];
    if (c.never) parts.push(`연결된 적 없음 ${c.never}`);
    parts.push(`문제 ${c.problems}`);
    return parts.join(" · ");
  }

  function matches(data, wanted) {
    if (wanted.district && data.district !== wanted.district) return false;
    if (wanted.offline && data.state === "online") return false;
    if (wanted.problems && !trouble(data)) return false;
    if (wanted.search) {
      const text = `${data.name} ${data.id} ${data.district}`.toLowerCase();
      if (!text.includes(wanted.search)) return false;
    }
    return true;
  }

  function applyFilters() {
    const wanted = {
      district: filters.district.value,
      offline: filters.offline.checked,
      problems: filters.problems.checked,
      search: filters.search.value.trim().toLowerCase(),
    };
    const byDistrict = new Map();
    let visible = 0;
    for (const entry of rows.values()) {
      const show = matches(entry.data, wanted);
      if (entry.tr.hidden === show) entry.tr.hidden = !show;
      if (show) visible += 1;
      const list = byDistrict.get(entry.data.district) || [];
      list.push(entry);
      byDistrict.set(entry.data.district, list);
      if (show) list.visible = (list.visible || 0) + 1;
    }
    for (const [district, group] of groups) {
      const list = byDistrict.get(district) || [];
      const words = `${district || "읍면동 없음"} — ${countWords(counts(list))}`;
      if (group.head.textContent !== words) group.head.textContent = words;
      const hide = !list.visible;
      if (group.body.hidden !== hide) group.body.hidden = hide;
    }
    summary.textContent = `전체 ${countWords(counts([...rows.values()]))}`;
    shown.textContent = visible === rows.size ? "" : `${visible}곳 보는 중`;
    const emptyWords = rows.size === 0
      ? "아직 경로당이 없습니다: 기술 담당자가 경로당 설정을 만들면(kiosk-provision build) 여기에 나옵니다."
      : "조건에 맞는 경로당이 없습니다.";
    if (empty.textContent !== emptyWords) empty.textContent = emptyWords;
    empty.hidden = visible > 0;
  }

  // -- the connection ----------------------------------------------------------------------

  function say(problem) {
    if (problem) {
      if (linkProblem.textContent !== problem) linkProblem.textContent = problem;
      linkProblem.hidden = false;
    } else {
      linkProblem.hidden = true;
    }
    root.classList.toggle("stale", Boolean(problem));
  }

  function take(answer) {
    lastAnswer = new Date();
    serverSkew = answer.now - Date.now() / 1000;
    if (answer.rows) {
      update(answer.rows);
      version = answer.version;
    }
    for (const entry of rows.values()) refreshSince(entry);
    applyFilters();
    if (answer.configured && !answer.connected) {
      const when = answer.lost_at ? new Date(answer.lost_at * 1000) : lastAnswer;
      say(`현황 서버에 연결되지 않았습니다 — 마지막으로 받은 정보입니다 (${hhmm(when)})`);
    } else {
      say("");
    }
    root.dataset.connected = String(answer.connected);
    root.dataset.version = String(answer.version);
  }

  async function poll() {
    try {
      const url = version === null ? stateUrl : `${stateUrl}?have=${version}`;
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.status === 401) {
        say("로그인이 끝났습니다. 페이지를 새로 고쳐 다시 로그인해 주세요.");
        return; // no more polling: it would only be refused again
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      take(await response.json());
    } catch (error) {
      const when = lastAnswer ? ` (${hhmm(lastAnswer)})` : "";
      say(`콘솔 서버에 연결되지 않았습니다 — 마지막으로 받은 정보입니다${when}`);
    }
    window.setTimeout(poll, POLL_MS);
  }

  for (const control of Object.values(filters)) {
    control.addEventListener("input", applyFilters);
    control.addEventListener("change", applyFilters);
  }
  document.getElementById("fleet-filters").addEventListener("submit", (event) => event.preventDefault());
  poll();
})();
