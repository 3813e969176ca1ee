// 전화: the calls page. Talks to city hall's call gate with janus.js (Debian's), using a
// staff pass the console mints (POST /calls/pass): one VideoCall registration per line the
// staff member chose; calls go out under one of those lines that the centre knows.
// The page shows what happens; it never reports calls (the gate keeps the history).
"use strict";

(function () {
  const root = document.getElementById("calls");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const gate = root.dataset.gate;
  const $ = function (id) { return document.getElementById(id); };
  const BOTH = [
    { type: "audio", capture: true, recv: true },
    { type: "video", capture: true, recv: true },
  ];
  const STORE = "kiosk-calls-lines";

  let janus = null;
  let passAt = 0;
  let passTtl = 0;
  let lines = {};          // name -> { label, handle, registered }
  let call = null;         // { line, centre, name, phase }
  let incoming = null;     // { line, centre, name, jsep }
  let ringer = null;
  let audio = null;
  let retry = 1000;
  let retrying = null;     // the timer of a call placed once more (see onMessage)
  const RETRIES = 3;       // a call that fails before ringing is placed again this often

  // --- what the page shows -------------------------------------------------------

  function phase(value) { root.dataset.phase = value; }
  phase("idle");

  function say(text) { $("phone-state").textContent = text; }
  function callState(text) { $("call-state").textContent = text; }
  function problem(text) {
    const p = $("call-problem");
    p.textContent = text || "";
    p.hidden = !text;
  }

  function centreOfName(callName) {
    const button = document.querySelector('button.call[data-call-name="' + CSS.escape(callName) + '"]');
    return button ? { id: button.dataset.centre, name: button.dataset.name, button: button } : null;
  }
  function centreById(id) {
    return document.querySelector('tr [data-centre="' + CSS.escape(id) + '"].call');
  }

  function lineState(name, text) {
    const span = document.querySelector('[data-line-state="' + CSS.escape(name) + '"]');
    if (span) span.textContent = text;
  }

  function summary() {
    const held = Object.keys(lines).filter(function (n) { return lines[n].registered; });
    if (!janus) return;
    say(held.length ? "전화를 받을 준비가 되었습니다." : "전화선을 고르면 전화를 받을 수 있습니다.");
  }

  // --- ringing -------------------------------------------------------------------

  function sound() {
    if (!audio) audio = new AudioContext();
    return audio;
  }
  function ring(on) {
    if (ringer) { clearInterval(ringer); ringer = null; }
    if (!on) return;
    const beep = function () {
      const ctx = sound();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 660;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.6);
    };
    beep();
    ringer = setInterval(beep, 1500);
  }

  // --- the call panel ------------------------------------------------------------

  function showCall(name, text) {
    $("call-name").textContent = name;
    callState(text);
    $("in-call").hidden = false;
    $("mute").setAttribute("aria-pressed", "false");
    $("mute").textContent = "마이크 끄기";
    $("camera").setAttribute("aria-pressed", "false");
    $("camera").textContent = "카메라 끄기";
  }

  function endCall(text) {
    if (!call) return;
    const ended = call;
    call = null;
    phase("idle");
    callState(text);
    $("remote-video").srcObject = null;
    $("local-video").srcObject = null;
    setTimeout(function () { if (!call) $("in-call").hidden = true; }, 2500);
    const line = lines[ended.line];
    if (line && line.handle) line.handle.hangup();
    refreshMissed();
    renewIfOld();
  }

  function addTrack(video, track, on) {
    let stream = video.srcObject;
    if (!on) {
      if (stream) stream.removeTrack(track);
      return;
    }
    if (!stream) { stream = new MediaStream(); video.srcObject = stream; }
    if (!stream.getTracks().includes(track)) stream.addTrack(track);
    video.play().catch(function () {});
  }

  // --- one line (a VideoCall handle registered under its name) --------------------

  function attachLine(name) {
    const line = lines[name];
    janus.attach({
      plugin: "janus.plugin.videocall",
      success: function (handle) {
        line.handle = handle;
        lineState(name, "연결 중…");
        handle.send({ message: { request: "register", username: name } });
      },
      error: function () { lineState(name, "연결 안 됨"); },
      onmessage: function (msg, jsep) { onMessage(name, msg, jsep); },
      onlocaltrack: function (track, on) {
        if (call && call.line === name && track.kind === "video") addTrack($("local-video"), track, on);
      },
      onremotetrack: function (track, mid, on) {
        if (call && call.line === name) addTrack($("remote-video"), track, on);
      },
      webrtcState: function (up) {
        if (call && call.line === name && up) { call.phase = "in-call"; phase("in-call"); callState("통화 중"); }
      },
      oncleanup: function () {
        console.debug("videocall", name, "media torn down");
        // Janus tears the line's media down: for a call not yet ringing this can be the
        // last call's teardown arriving late (the server ends a call nobody answered
        // with a "hangup" of its own, after its event), which took our new offer with
        // it: the call is placed again.
        if (call && call.line === name && !tryAgain()) endCall("통화가 끝났습니다.");
      },
    });
  }

  function onMessage(name, msg, jsep) {
    const line = lines[name];
    const result = msg.result || {};
    const event = result.event;
    console.debug("videocall", name, JSON.stringify(msg));  // for a technician's console
    if (msg.error_code || msg.error) {
      if (!line.registered) {
        const taken = msg.error_code === 476;
        lineState(name, taken ? "다른 직원이 이미 받고 있습니다" : "쓸 수 없습니다");
        if (taken) problem("‘" + line.label + "’ 전화선은 다른 직원이 이미 받고 있습니다. 다른 선을 고르세요.");
        uncheck(name);
        return;
      }
      if (call && call.line === name) {
        const offline = msg.error_code === 478;
        if (!offline && tryAgain()) return;  // e.g. "Already in a call": the last one still ending
        endCall(offline ? call.name + "이(가) 지금 연결되어 있지 않습니다 (꺼져 있거나 인터넷 문제)." : "전화를 걸지 못했습니다: " + msg.error);
      }
      return;
    }
    if (event === "registered") {
      line.registered = true;
      lineState(name, "받는 중");
      summary();
    } else if (event === "calling") {
      if (call && call.line === name) {
        call.rang = true;
        if (call.doubt) { clearTimeout(call.doubt); call.doubt = null; }  // the hangup was stale
        if (call.watch) { clearTimeout(call.watch); call.watch = null; }
        callState("신호가 가는 중입니다…");
      }
    } else if (event === "incomingcall") {
      offered(name, result.username, jsep);
    } else if (event === "accepted") {
      if (jsep && call && call.line === name) line.handle.handleRemoteJsep({ jsep: jsep });
      if (call && call.line === name) callState("연결 중…");
    } else if (event === "hangup") {
      if (incoming && incoming.line === name) {
        const who = incoming.name;
        hideIncoming();
        // The caller gave up: end it on our side too, so the line is free at once.
        line.handle.send({ message: { request: "hangup" } });
        say(who + "의 전화를 받지 못했습니다.");
        refreshMissed();
      } else if (call && call.line === name && doubtful()) {
        return;
      } else if (call && call.line === name) {
        const answered = call.phase === "in-call";
        endCall(answered ? "통화가 끝났습니다." : call.name + "이(가) 전화를 받지 않았습니다.");
      }
    }
  }

  // --- incoming calls --------------------------------------------------------------

  function offered(name, caller, jsep) {
    const line = lines[name];
    if (call || incoming) {  // busy: the centre hears that nobody could answer
      line.handle.send({ message: { request: "hangup" } });
      return;
    }
    const centre = centreOfName(caller);
    incoming = { line: name, centre: centre ? centre.id : "", name: centre ? centre.name : caller, jsep: jsep };
    $("incoming-who").textContent = incoming.name + "에서 전화가 왔습니다";
    $("incoming-line").textContent = "받는 선: " + line.label;
    $("incoming").hidden = false;
    phase("incoming");
    ring(true);
    $("answer").focus();
  }

  function hideIncoming() {
    incoming = null;
    ring(false);
    $("incoming").hidden = true;
    if (!call) phase("idle");
  }

  $("answer").addEventListener("click", function () {
    if (!incoming) return;
    const taken = incoming;
    hideIncoming();
    const handle = lines[taken.line].handle;
    call = { line: taken.line, centre: taken.centre, name: taken.name, phase: "answering" };
    phase("answering");
    showCall(taken.name, "연결 중…");
    handle.createAnswer({
      jsep: taken.jsep,
      tracks: BOTH,
      success: function (answer) { handle.send({ message: { request: "accept" }, jsep: answer }); },
      error: function () {
        handle.send({ message: { request: "hangup" } });
        endCall("카메라나 마이크를 쓸 수 없어 받지 못했습니다.");
      },
    });
  });

  $("decline").addEventListener("click", function () {
    if (!incoming) return;
    lines[incoming.line].handle.send({ message: { request: "hangup" } });
    hideIncoming();
  });

  // --- calling a centre ------------------------------------------------------------

  function doubtful() {
    // A hangup before the centre rings may be the last call's, arriving late (a call
    // back clicked as the centre's unanswered call was being ended): then our call
    // still rings ("calling" comes) and goes on. Only if it does not ring within a
    // second is it taken as this call's failure, and the call placed once more.
    if (!call || !call.outgoing || call.phase !== "calling" || call.rang) return false;
    if (call.doubt) return true;
    const doubted = call;
    doubted.doubt = setTimeout(function () {
      doubted.doubt = null;
      if (call === doubted && !doubted.rang && !tryAgain()) endCall(doubted.name + "이(가) 전화를 받지 않았습니다.");
    }, 1000);
    return true;
  }

  function tryAgain() {
    // A call that failed before the centre even rang, because the server was still
    // tearing down the last call on this line or the centre's (a call back clicked the
    // moment a call ended; on a busy server that takes a few seconds): placed again,
    // after 1.5, 3 and 4.5 s. False once that was done.
    if (!call || !call.outgoing || call.phase !== "calling" || call.rang || call.attempt >= RETRIES) return false;
    const line = lines[call.line];
    const centre = call.centre;
    const attempt = call.attempt + 1;
    call = null;
    line.handle.hangup();
    callState("다시 연결하는 중…");
    retrying = setTimeout(function () { retrying = null; place(centre, attempt); }, 1500 * attempt);
    return true;
  }

  function place(centreId, attempt) {
    const retried = !!attempt;
    problem("");
    const button = centreById(centreId);
    if (!button) { if (retried) endCall(""); return; }
    if (call || incoming) {
      if (retried) $("in-call").hidden = true;  // an incoming call came first
      problem("지금 통화 중입니다. 통화를 끝낸 뒤 거세요.");
      return;
    }
    if (!janus) { problem("전화선을 먼저 고르세요."); return; }
    const known = button.dataset.lines.split(" ");
    const name = known.find(function (n) { return lines[n] && lines[n].registered; });
    if (!name) {
      const labels = known.map(function (n) {
        const box = document.querySelector('input[name="line"][value="' + CSS.escape(n) + '"]');
        return box ? box.dataset.label : n;
      });
      problem(button.dataset.name + "에 걸려면 이 전화선 중 하나를 고르세요: " + labels.join(", "));
      return;
    }
    const handle = lines[name].handle;
    const placed = { line: name, centre: centreId, name: button.dataset.name, phase: "calling", outgoing: true, rang: false, attempt: attempt || 0 };
    call = placed;
    // Neither ringing nor refused within 4 s (the offer made while the line was still
    // ending the last call can be lost with it): placed again.
    placed.watch = setTimeout(function () {
      placed.watch = null;
      if (call === placed && !placed.rang && !tryAgain()) endCall("전화를 걸지 못했습니다. 잠시 뒤 다시 걸어 보세요.");
    }, 4000);
    phase("calling");
    if (!retried) showCall(button.dataset.name, "전화 거는 중…");
    handle.createOffer({
      tracks: BOTH,
      success: function (offer) {
        if (call !== placed) return;  // given up or placed again meanwhile
        handle.send({
          message: { request: "call", username: button.dataset.callName },
          jsep: offer,
          error: function (err) {
            console.debug("videocall", name, "call refused", JSON.stringify(err));
            if (call === placed && !tryAgain()) endCall("전화를 걸지 못했습니다. 잠시 뒤 다시 걸어 보세요.");
          },
        });
      },
      error: function () {
        // Also what a late teardown of the last call does to an offer being made.
        if (call === placed && !tryAgain()) endCall("카메라나 마이크를 쓸 수 없어 걸지 못했습니다.");
      },
    });
  }

  document.addEventListener("click", function (e) {
    const target = e.target.closest("button.call, button.call-back");
    if (target) place(target.dataset.centre);
  });

  $("hang-up").addEventListener("click", function () {
    if (retrying) {
      clearTimeout(retrying);
      retrying = null;
      phase("idle");
      $("in-call").hidden = true;
      return;
    }
    if (!call) return;
    const line = lines[call.line];
    line.handle.send({ message: { request: "hangup" } });
    endCall("통화를 끊었습니다.");
  });

  $("mute").addEventListener("click", function () {
    if (!call) return;
    const handle = lines[call.line].handle;
    const muted = handle.isAudioMuted();
    if (muted) handle.unmuteAudio(); else handle.muteAudio();
    this.setAttribute("aria-pressed", String(!muted));
    this.textContent = muted ? "마이크 끄기" : "마이크 켜기";
  });

  $("camera").addEventListener("click", function () {
    if (!call) return;
    const handle = lines[call.line].handle;
    const off = handle.isVideoMuted();
    if (off) handle.unmuteVideo(); else handle.muteVideo();
    this.setAttribute("aria-pressed", String(!off));
    this.textContent = off ? "카메라 끄기" : "카메라 켜기";
  });

  // --- the connection: a pass for the chosen lines, then one registration each -------

  function chosen() {
    return Array.from(document.querySelectorAll('input[name="line"]:checked')).map(function (b) { return b.value; });
  }

  function uncheck(name) {
    const box = document.querySelector('input[name="line"][value="' + CSS.escape(name) + '"]');
    if (box) box.checked = false;
    localStorage.setItem(STORE, JSON.stringify(chosen()));
  }

  function disconnect() {
    if (janus) {
      const old = janus;
      janus = null;
      old.destroy({ cleanupHandles: true });
    }
    lines = {};
    document.querySelectorAll("[data-line-state]").forEach(function (s) { s.textContent = ""; });
  }

  function connect() {
    disconnect();
    const names = chosen();
    localStorage.setItem(STORE, JSON.stringify(names));
    if (!names.length) { say("전화선을 고르면 전화를 받을 수 있습니다."); return; }
    say("연결 중입니다…");
    fetch(root.dataset.passUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ lines: names }),
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || "전화 자격을 받지 못했습니다.");
        return body;
      });
    }).then(function (pass) {
      passAt = Date.now();
      passTtl = pass.ttl_s * 1000;
      const session = new Janus({
        server: pass.gate,
        token: pass.token,
        iceServers: [],
        success: function () {
          retry = 1000;
          for (const line of pass.lines) {
            lines[line.name] = { label: line.label, handle: null, registered: false };
            attachLine(line.name);
          }
        },
        error: function () {
          if (janus !== session) return;
          janus = null;
          if (call) endCall("연결이 끊겼습니다.");
          hideIncoming();
          say("통화 서버와 연결이 끊겼습니다. 다시 연결합니다…");
          setTimeout(connect, retry);
          retry = Math.min(retry * 2, 30000);
        },
      });
      janus = session;
    }).catch(function (error) {
      say(String(error.message || error));
    });
  }

  function renewIfOld() {
    // The gate cuts a connection when its pass expires: take a new one while idle, at
    // half its life, so a call started before then has the other half.
    if (janus && !call && !incoming && Date.now() - passAt > passTtl / 2) connect();
  }
  setInterval(renewIfOld, 60000);

  // --- missed calls -----------------------------------------------------------------

  function refreshMissed() {
    fetch(root.dataset.missedUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        const list = $("missed");
        list.replaceChildren();
        for (const m of body.missed) {
          const li = document.createElement("li");
          li.dataset.missed = m.id;
          const name = document.createElement("span");
          name.className = "missed-name";
          name.textContent = m.name;
          const what = document.createElement("span");
          what.className = "missed-what";
          what.textContent = m.when + " · " + m.what;
          const back = document.createElement("button");
          back.type = "button";
          back.className = "primary call-back";
          back.dataset.centre = m.centre;
          back.textContent = "다시 걸기";
          li.append(name, what, back);
          list.appendChild(li);
        }
        $("missed-count").textContent = body.missed.length;
        $("no-missed").hidden = body.missed.length > 0;
      })
      .catch(function () {});
  }
  setInterval(refreshMissed, 5000);

  // --- finding a centre ---------------------------------------------------------------

  const find = $("find");
  if (find) find.addEventListener("input", function () {
    const words = find.value.trim().toLowerCase();
    document.querySelectorAll("section.district").forEach(function (district) {
      let shown = 0;
      district.querySelectorAll("tr[data-centre-row]").forEach(function (row) {
        const hit = !words || row.dataset.find.toLowerCase().includes(words);
        row.hidden = !hit;
        if (hit) shown++;
      });
      district.hidden = shown === 0;
    });
  });

  // --- start ------------------------------------------------------------------------

  document.querySelectorAll('input[name="line"]').forEach(function (box) {
    box.addEventListener("change", function () {
      sound();  // a click: the ringing sound may play from now on
      if (call || incoming) { box.checked = !box.checked; problem("통화 중에는 전화선을 바꿀 수 없습니다."); return; }
      problem("");
      connect();
    });
  });
  const chosenRow = document.querySelector("tr.is-chosen");
  if (chosenRow) chosenRow.scrollIntoView({ block: "center" });

  if (!gate) return;
  Janus.init({
    debug: false,
    dependencies: Janus.useDefaultDependencies(),
    callback: function () {
      let kept = [];
      try { kept = JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { kept = []; }
      document.querySelectorAll('input[name="line"]').forEach(function (box) {
        box.checked = kept.includes(box.value);
      });
      if (chosen().length) connect();
    },
  });
})();
