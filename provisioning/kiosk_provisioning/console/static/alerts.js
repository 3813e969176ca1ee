// 알림·안내: the forms' audience picker, reach count and 긴급 confirmation; the alert's
// page following each centre's receipts (polled every 2 s, no reload).
"use strict";

(function () {
  const STATES = ["delivered", "shown", "acknowledged"];

  function audienceForm(form) {
    const box = form.querySelector("[data-audience]");
    if (!box) return () => 0;
    const districts = JSON.parse(document.getElementById("fleet-centres").textContent);
    const everyone = new Set(Object.values(districts).flat());
    box.querySelectorAll(".checks.centres input").forEach((input) => everyone.add(input.value));
    const kind = () => (box.querySelector("input[name=audience]:checked") || {}).value;
    const checked = (name) =>
      Array.from(box.querySelectorAll(`input[name=${name}]:checked`)).map((i) => i.value);

    function reach() {
      if (kind() === "all") return everyone.size;
      if (kind() === "district") {
        return checked("districts").reduce((n, d) => n + (districts[d] || []).length, 0);
      }
      if (kind() === "centres") return checked("centres").length;
      return 0;
    }
    function show() {
      box.querySelectorAll("[data-pick]").forEach((pick) => {
        pick.hidden = pick.dataset.pick !== kind();
      });
      box.querySelector("[data-reach]").textContent = String(reach());
    }
    box.addEventListener("change", show);
    const search = box.querySelector(".centre-search");
    if (search) {
      search.addEventListener("input", () => {
        const words = search.value.trim().toLowerCase();
        box.querySelectorAll(".checks.centres label").forEach((label) => {
          label.hidden = words !== "" && !label.dataset.search.includes(words);
        });
      });
    }
    show();
    return reach;
  }

  function counters(form) {
    form.querySelectorAll("[data-count]").forEach((area) => {
      const out = form.querySelector(`[data-count-for="${area.name}"]`);
      const other = area.dataset.countWith ? form.querySelector(`[name=${area.dataset.countWith}]`) : null;
      const update = () => {
        const used = area.value.length + (other ? other.value.length + 1 : 0);
        out.textContent = `${used} / ${area.dataset.count}자`;
        out.classList.toggle("over", used > Number(area.dataset.count));
      };
      area.addEventListener("input", update);
      if (other) other.addEventListener("input", update);
      update();
    });
  }

  function emergencyConfirmation(form, reach) {
    const dialog = form.querySelector("[data-confirm-dialog]");
    const confirmed = form.querySelector("input[name=confirm_reach]");
    const send = form.querySelector("[data-send]");
    if (!dialog || !confirmed) return;
    const level = () => (form.querySelector("input[name=level]:checked") || {}).value;
    const label = () => {
      send.textContent = level() === "emergency" ? "긴급 알림 보내기" : "알림 보내기";
      send.classList.toggle("danger", level() === "emergency");
    };
    form.addEventListener("change", label);
    label();
    form.addEventListener("submit", (event) => {
      if (level() !== "emergency" || confirmed.value === String(reach())) return;
      event.preventDefault();
      dialog.querySelector("[data-reach-dialog]").textContent = String(reach());
      dialog.showModal();
    });
    dialog.querySelector("[data-dialog-cancel]").addEventListener("click", () => dialog.close());
    dialog.querySelector("[data-dialog-send]").addEventListener("click", () => {
      confirmed.value = String(reach());
      dialog.close();
      form.requestSubmit();
    });
  }

  function receipts(section) {
    const url = section.dataset.receiptsUrl;
    const seen = {}; // centre -> state -> time first seen (the box's clock)
    const live = document.querySelector("[data-live]");

    function paint(data) {
      for (const [centre, receipt] of Object.entries(data.centres)) {
        const row = document.querySelector(`tr[data-centre="${CSS.escape(centre)}"]`);
        if (!row) continue;
        const times = (seen[centre] = seen[centre] || {});
        if (!times[receipt.state]) times[receipt.state] = receipt.time;
        const reached = STATES.indexOf(receipt.state);
        STATES.forEach((state, n) => {
          const cell = row.querySelector(`[data-state="${state}"]`);
          const done = n <= reached;
          cell.classList.toggle("reached", done);
          cell.textContent = done ? `✓ ${times[state] || ""}`.trim() : "–";
        });
        row.dataset.reached = receipt.state;
      }
      for (const state of STATES) {
        const total = document.querySelector(`[data-total="${state}"] strong`);
        if (total) total.textContent = String(data.totals[state]);
      }
      const status = document.querySelector("[data-status]");
      if (status) status.textContent = data.status;
      live.textContent = !data.channel
        ? ""
        : data.connected
          ? `실시간 · ${data.now} 기준`
          : "알림 채널에 연결 중…";
    }

    async function poll() {
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (response.ok) paint(await response.json());
        else live.textContent = `새로 고치지 못함 (${response.status})`;
      } catch (err) {
        live.textContent = "콘솔에 연결되지 않음: 다시 시도하는 중";
      } finally {
        setTimeout(poll, 2000);
      }
    }
    poll();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const problem = document.querySelector(".field-problem");
    if (problem) problem.scrollIntoView({ block: "center" });
    document.querySelectorAll("form.alert-form").forEach((form) => {
      const reach = audienceForm(form);
      counters(form);
      emergencyConfirmation(form, reach);
    });
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
    const section = document.querySelector("[data-receipts-url]");
    if (section) receipts(section);
  });
})();
