// 영상 회의: the host joins a VideoRoom room through city hall's call gate with janus.js
// (Debian's), publishes camera and microphone, and shows every centre in the room in a
// paged grid (at most data-grid-page subscriptions at once, plus the spotlit one).
// 소리 끄기 is VideoRoom "moderate" (the gate adds the room's secret); the console is
// told what the host did, for its activity log.
//
// In a town meeting (grant.floor) the grid holds the feeds that carry sound (the
// centres given the floor). The centres the floor shows (floor.js tells each state as a
// "floor-change" event) send their camera alone: each is matched by its call name (the
// display the gate forces on its box) and watched video only, as a small picture in
// #audience (at most a dozen, the floor's limit). No other feed without sound is ever
// subscribed, and a centre no longer shown has its subscription closed at once.
"use strict";

(function () {
  const root = document.getElementById("meeting");
  if (!root) return;
  const PAGE = Number(root.dataset.gridPage) || 12;
  const $ = function (id) { return document.getElementById(id); };
  let meeting = null;

  const post = window.postJSON; // post.js

  function problem(id, text) {
    const box = $(id);
    box.textContent = text || "";
    box.hidden = !text;
  }

  function state(text) { $("stage-state").textContent = text; }

  // --- starting and ending ------------------------------------------------------

  function start(button) {
    problem("start-problem", "");
    for (const b of document.querySelectorAll("button.start")) b.disabled = true;
    post(button.dataset.startUrl).then(function (grant) {
      meeting = {
        room: grant.room,
        names: grant.names || {},
        recordUrl: button.dataset.recordUrl,
        feeds: new Map(),
        floor: Boolean(grant.floor),
        shown: [], // the centres the floor shows: {id, name, online, present, call}
        thumbs: new Map(), // call name -> its small picture (<li>)
        page: 0,
        spot: null,
        janus: null,
        me: null,
        ended: false,
      };
      $("stage-title").textContent = grant.title;
      $("stage").dataset.room = grant.room; // for questions.js
      $("stage").dataset.floor = grant.floor ? "yes" : "no";
      $("rooms").hidden = true;
      $("stage").hidden = false;
      state("연결 중…");
      render();
      connect(grant);
    }).catch(function (error) {
      for (const b of document.querySelectorAll("button.start")) b.disabled = false;
      problem("start-problem", "회의를 시작하지 못했습니다: " + error.message);
    });
  }

  function connect(grant) {
    Janus.init({
      debug: false,
      callback: function () {
        const janus = new Janus({
          server: grant.server,
          token: grant.token,
          iceServers: [],
          success: function () { if (meeting) join(janus, grant); },
          error: function (error) { lost("연결이 끊겼습니다: " + error); },
        });
        meeting.janus = janus;
      },
    });
  }

  function join(janus, grant) {
    janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (handle) {
        meeting.me = handle;
        handle.send({ message: { request: "join", room: grant.room, ptype: "publisher", display: grant.display } });
      },
      error: function (error) { lost("회의방에 들어가지 못했습니다: " + error); },
      onlocaltrack: function (track, on) {
        if (!on || track.kind !== "video") return;
        $("self-video").srcObject = new MediaStream([track]);
      },
      onmessage: function (msg, jsep) {
        if (!meeting) return;
        if (msg.error) {
          problem("stage-problem", "회의 서버가 거절했습니다: " + msg.error);
        }
        if (msg.videoroom === "joined") {
          state("회의 중");
          publish();
        }
        for (const p of msg.publishers || []) arrived(p);
        if (msg.moderation) moderated(msg.id, msg.mid, msg.moderation === "muted");
        const gone = msg.unpublished !== undefined && msg.unpublished !== "ok" ? msg.unpublished : msg.leaving;
        if (gone !== undefined && gone !== "ok") left(gone);
        if (jsep) meeting.me.handleRemoteJsep({ jsep: jsep });
      },
    });
  }

  function publish() {
    meeting.me.createOffer({
      tracks: [
        { type: "audio", capture: true, recv: false },
        { type: "video", capture: true, recv: false },
      ],
      success: function (offer) {
        meeting.me.send({ message: { request: "configure", audio: true, video: true }, jsep: offer });
      },
      error: function (error) {
        problem("stage-problem", "카메라나 마이크를 켜지 못했습니다: " + (error.message || error));
      },
    });
  }

  function end() {
    if (!meeting) return;
    const finished = meeting;
    finished.ended = true;
    if (finished.me) finished.me.send({ message: { request: "leave" } });
    if (finished.janus) finished.janus.destroy();
    post(finished.recordUrl, { what: "ended" }).catch(function () {});
    reset();
  }

  function lost(text) {
    if (!meeting || meeting.ended) return;
    if (meeting.janus) meeting.janus.destroy();
    reset();
    problem("start-problem", text + " 회의 시작을 다시 누르세요.");
  }

  function reset() {
    meeting = null;
    $("grid").replaceChildren();
    if ($("audience")) {
      $("audience-grid").replaceChildren();
      $("audience").hidden = true;
    }
    $("spotlight").hidden = true;
    $("spotlight-video").srcObject = null;
    $("self-video").srcObject = null;
    $("stage").hidden = true;
    $("rooms").hidden = false;
    problem("stage-problem", "");
    for (const b of document.querySelectorAll("button.start")) b.disabled = false;
  }

  // --- who is in the room -------------------------------------------------------

  // Janus names a publisher when it starts sending, and again when what it sends changes.
  function arrived(publisher) {
    const streams = (publisher.streams || []).filter(function (s) { return !s.disabled; });
    const audio = streams.find(function (s) { return s.type === "audio"; });
    const video = streams.find(function (s) { return s.type === "video"; });
    // Without a list of streams (an older Janus), a feed is taken to carry sound.
    const sound = publisher.streams ? Boolean(audio) : true;
    const known = meeting.feeds.get(publisher.id);
    if (known) {
      const same = known.audioMid === (audio ? audio.mid : null) && known.videoMid === (video ? video.mid : null);
      if (known.sound === sound && same) return;
      unsubscribe(known); // subscribed for what it sent before
      known.sound = sound;
      known.audioMid = audio ? audio.mid : null;
      known.videoMid = video ? video.mid : null;
      render();
      return;
    }
    meeting.feeds.set(publisher.id, {
      id: publisher.id,
      display: publisher.display || String(publisher.id),
      sound: sound,
      audioMid: audio ? audio.mid : null,
      videoMid: video ? video.mid : null,
      muted: false,
      handle: null,
      kind: null, // what it is subscribed for: "grid" (all it sends) or "audience" (video)
      stream: new MediaStream(),
      tile: null,
    });
    render();
  }

  function left(id) {
    const feed = meeting.feeds.get(id);
    if (!feed) return;
    unsubscribe(feed);
    if (feed.tile) feed.tile.remove();
    meeting.feeds.delete(id);
    if (meeting.spot === id) spotlight(null);
    render(); // which keeps the page within the pages left
  }

  function nameOf(feed) { return meeting.names[feed.display] || feed.display; }

  // --- the grid: only this page's centres are subscribed ----------------------------

  function shownCentre(feed) {
    return meeting.shown.find(function (centre) { return centre.call === feed.display; });
  }

  // Where a feed goes: the shown centres' to the small pictures; in a town meeting a
  // feed without sound that is not shown (a centre shown a moment ago) nowhere.
  function placeOf(feed) {
    if (meeting.floor && shownCentre(feed)) return "audience";
    if (meeting.floor && !feed.sound) return null;
    return "grid";
  }

  function render() {
    const all = Array.from(meeting.feeds.values());
    const feeds = all.filter(function (feed) { return placeOf(feed) === "grid"; });
    if (meeting.spot !== null && !feeds.some(function (f) { return f.id === meeting.spot; })) {
      spotlight(null); // no longer in the grid (shown small now): spotlight() renders again
      return;
    }
    const pages = Math.max(1, Math.ceil(feeds.length / PAGE));
    meeting.page = Math.min(meeting.page, pages - 1);
    const onPage = feeds.slice(meeting.page * PAGE, (meeting.page + 1) * PAGE);
    for (const feed of all) {
      const place = placeOf(feed);
      const wanted = place === "grid" && !onPage.includes(feed) && feed.id !== meeting.spot ? null : place;
      if (feed.kind !== null && feed.kind !== wanted) unsubscribe(feed);
      if (!onPage.includes(feed) && feed.tile) { feed.tile.remove(); feed.tile = null; }
    }
    const grid = $("grid");
    for (const feed of onPage) {
      if (!feed.tile) feed.tile = tile(feed);
      grid.appendChild(feed.tile); // in join order
      subscribe(feed, "grid");
    }
    $("count").textContent = String(feeds.length);
    $("empty").hidden = meeting.floor || feeds.length > 0;
    $("empty-floor").hidden = !meeting.floor || feeds.length > 0;
    grid.dataset.size = String(Math.min(onPage.length, PAGE));
    $("pager").hidden = pages < 2;
    $("page-at").textContent = (meeting.page + 1) + " / " + pages + " 쪽";
    $("page-back").disabled = meeting.page === 0;
    $("page-next").disabled = meeting.page >= pages - 1;
    audience(all);
  }

  // --- the audience on demand: the shown centres' cameras, small ----------------------

  function audience(all) {
    const strip = $("audience");
    if (!strip) return; // no fleet link configured: no floor, nobody shown
    const shown = meeting.floor ? meeting.shown : []; // only a town meeting shows any
    const calls = new Set(shown.map(function (centre) { return centre.call; }));
    for (const [call, li] of meeting.thumbs) {
      if (!calls.has(call)) { li.remove(); meeting.thumbs.delete(call); }
    }
    const list = $("audience-grid");
    for (const centre of shown) {
      let li = meeting.thumbs.get(centre.call);
      if (!li) {
        li = thumb(centre);
        meeting.thumbs.set(centre.call, li);
      }
      list.appendChild(li); // in the floor's order (the member list's)
      li.dataset.present = centre.present ? "yes" : "no"; // in the meeting: its picture may come
      const feed = all.find(function (f) { return f.display === centre.call; });
      const video = li.querySelector("video");
      const stream = feed ? feed.stream : null;
      if (video.srcObject !== stream) video.srcObject = stream;
      if (!stream) li.dataset.picture = "no";
      if (feed) subscribe(feed, "audience");
    }
    strip.hidden = shown.length === 0;
    $("audience-count").textContent = String(shown.length);
    list.dataset.size = String(shown.length);
  }

  function thumb(centre) {
    const li = $("thumb-template").content.firstElementChild.cloneNode(true);
    li.dataset.centre = centre.call;
    li.querySelector(".thumb-name").textContent = centre.name;
    li.title = centre.name;
    const video = li.querySelector("video");
    // The picture is there once a frame is: until then the waiting note says so.
    video.addEventListener("resize", function () {
      li.dataset.picture = video.videoWidth > 0 ? "yes" : "no";
    });
    video.addEventListener("emptied", function () { li.dataset.picture = "no"; });
    return li;
  }

  function floorChanged(event) {
    if (!meeting) return;
    meeting.floor = meeting.floor || event.detail.floor;
    meeting.shown = event.detail.shown;
    render();
  }

  function tile(feed) {
    const li = $("tile-template").content.firstElementChild.cloneNode(true);
    li.dataset.centre = feed.display;
    li.querySelector(".tile-name").textContent = nameOf(feed);
    li.querySelector(".tile-call").textContent = feed.display;
    li.querySelector("video").srcObject = feed.stream;
    li.querySelector(".spot").addEventListener("click", function () {
      spotlight(meeting.spot === feed.id ? null : feed.id);
    });
    li.querySelector(".mute").addEventListener("click", function () { moderate(feed, li); });
    li.querySelector(".mute").disabled = feed.audioMid === null;
    showMuted(feed, li);
    return li;
  }

  // Subscribe to *feed* for the grid (everything it sends) or for the audience (its
  // video alone).
  function subscribe(feed, kind) {
    if (feed.handle) return;
    feed.handle = "opening";
    feed.kind = kind;
    const stream = { feed: feed.id };
    if (kind === "audience" && feed.videoMid !== null) stream.mid = feed.videoMid;
    meeting.janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (handle) {
        if (!meeting || feed.handle !== "opening") { handle.detach(); return; }
        feed.handle = handle;
        handle.send({ message: { request: "join", room: meeting.room, ptype: "subscriber", streams: [stream] } });
      },
      error: function (error) {
        feed.handle = null;
        feed.kind = null;
        problem("stage-problem", nameOf(feed) + " 화면을 받지 못했습니다: " + error);
      },
      onmessage: function (msg, jsep) {
        if (!jsep || typeof feed.handle !== "object") return;
        const handle = feed.handle;
        handle.createAnswer({
          jsep: jsep,
          tracks: [],
          success: function (answer) {
            handle.send({ message: { request: "start", room: meeting.room }, jsep: answer });
          },
          error: function (error) { problem("stage-problem", String(error.message || error)); },
        });
      },
      onremotetrack: function (track, mid, on) {
        if (feed.kind === "audience" && track.kind !== "video") return;
        const had = feed.stream.getTracks().filter(function (t) { return t.kind === track.kind; });
        for (const old of had) feed.stream.removeTrack(old);
        if (on) feed.stream.addTrack(track);
        const audio = feed.tile && feed.tile.querySelector("audio");
        if (audio && track.kind === "audio") {
          audio.srcObject = on ? new MediaStream([track]) : null;
        }
      },
    });
  }

  function unsubscribe(feed) {
    if (feed.handle && typeof feed.handle === "object") feed.handle.detach();
    feed.handle = null;
    feed.kind = null;
    for (const track of feed.stream.getTracks()) feed.stream.removeTrack(track);
  }

  function turnPage(step) {
    meeting.page += step;
    render();
  }

  // --- spotlight and mute ---------------------------------------------------------

  function spotlight(id) {
    if (!meeting) return;
    const previous = meeting.spot;
    meeting.spot = id;
    for (const feed of meeting.feeds.values()) {
      if (feed.tile) {
        feed.tile.classList.toggle("spotlit", feed.id === id);
        feed.tile.querySelector(".spot").textContent = feed.id === id ? "작게 보기" : "크게 보기";
      }
    }
    const feed = id === null ? null : meeting.feeds.get(id);
    $("spotlight").hidden = !feed;
    $("spotlight").dataset.centre = feed ? feed.display : "";
    $("spotlight-name").textContent = feed ? nameOf(feed) : "";
    $("spotlight-video").srcObject = feed ? feed.stream : null;
    $("stage").classList.toggle("with-spotlight", Boolean(feed));
    if (previous !== null && previous !== id) render(); // off this page: let it go
  }

  function moderate(feed, li) {
    const mute = !feed.muted;
    const button = li.querySelector(".mute");
    button.disabled = true;
    meeting.me.send({
      message: { request: "moderate", room: meeting.room, id: feed.id, mid: feed.audioMid, mute: mute },
      success: function (result) {
        button.disabled = false;
        if (result && result.error) {
          problem("stage-problem", nameOf(feed) + " 소리를 바꾸지 못했습니다: " + result.error);
          return;
        }
        feed.muted = mute;
        showMuted(feed, li);
        post(meeting.recordUrl, { what: mute ? "muted" : "unmuted", centre: feed.display }).catch(function () {});
      },
      error: function (error) {
        button.disabled = false;
        problem("stage-problem", nameOf(feed) + " 소리를 바꾸지 못했습니다: " + error);
      },
    });
  }

  // Janus tells every participant when a stream is muted or unmuted by a moderator
  // (this host, or another one): the tile follows the server, not only our own request.
  function moderated(id, mid, muted) {
    const feed = meeting.feeds.get(id);
    if (!feed || mid !== feed.audioMid) return;
    feed.muted = muted;
    if (feed.tile) showMuted(feed, feed.tile);
  }

  function showMuted(feed, li) {
    li.dataset.muted = feed.muted ? "yes" : "no";
    li.querySelector(".tile-muted").hidden = !feed.muted;
    li.querySelector(".mute").textContent = feed.muted ? "소리 켜기" : "소리 끄기";
  }

  // --- wiring ------------------------------------------------------------------------

  for (const button of document.querySelectorAll("button.start")) {
    button.addEventListener("click", function () { start(button); });
  }
  $("end").addEventListener("click", end);
  $("spotlight-close").addEventListener("click", function () { spotlight(null); });
  $("page-back").addEventListener("click", function () { turnPage(-1); });
  $("page-next").addEventListener("click", function () { turnPage(1); });
  root.addEventListener("floor-change", floorChanged);
})();
