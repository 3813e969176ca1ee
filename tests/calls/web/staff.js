// City hall staff in Chromium. Query: server, token (the staff pass, janus.js' token
// option: city hall's call gate knows staff by it), me, and either centre=<name> (call a
// centre), answer=1 (take the next call) or room=<number> (join a VideoRoom room and
// watch every other publisher). Everything that happens is POSTed to /report; every
// 300 ms, what the far side looks and sounds like: mean colour of its picture and the
// strongest pitch of its sound.
"use strict";

const params = new URLSearchParams(location.search);
const started = performance.now();
const watched = [];

function report(event, fields) {
  const body = JSON.stringify(Object.assign({ event: event, ms: performance.now() - started }, fields || {}));
  fetch("/report", { method: "POST", body: body, headers: { "Content-Type": "application/json" } });
}

function fail(where) {
  return function (error) { report("error", { where: where, error: String(error && error.message || error) }); };
}

const BOTH = [
  { type: "audio", capture: true, recv: true },
  { type: "video", capture: true, recv: true },
];
const SEND_ONLY = [
  { type: "audio", capture: true, recv: false },
  { type: "video", capture: true, recv: false },
];

function watch(track, from) {
  const stream = new MediaStream([track]);
  if (track.kind === "video") {
    const video = document.createElement("video");
    video.autoplay = true;
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    document.getElementById("remote").appendChild(video);
    const seen = { kind: "video", from: from, video: video, first: null };
    video.requestVideoFrameCallback(function () {
      seen.first = performance.now() - started;
      report("first-frame", { from: from, at: seen.first });
    });
    watched.push(seen);
  } else {
    // Chromium feeds a remote track to Web Audio only while a media element plays it.
    const audio = new Audio();
    audio.muted = true;
    audio.srcObject = stream;
    audio.play().catch(fail("audio play"));
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    context.createMediaStreamSource(stream).connect(analyser);
    watched.push({ kind: "audio", from: from, analyser: analyser, rate: context.sampleRate, audio: audio });
  }
}

function look(seen) {
  const canvas = document.createElement("canvas");
  canvas.width = 32;
  canvas.height = 24;
  const g = canvas.getContext("2d", { willReadFrequently: true });
  g.drawImage(seen.video, 0, 0, 32, 24);
  const pixels = g.getImageData(0, 0, 32, 24).data;
  const sum = [0, 0, 0];
  for (let i = 0; i < pixels.length; i += 4) {
    sum[0] += pixels[i]; sum[1] += pixels[i + 1]; sum[2] += pixels[i + 2];
  }
  const n = pixels.length / 4;
  return sum.map(function (v) { return Math.round(v / n); });
}

function listen(seen) {
  const bins = new Float32Array(seen.analyser.frequencyBinCount);
  seen.analyser.getFloatFrequencyData(bins);
  let best = 0;
  for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
  return { pitch: best * seen.rate / seen.analyser.fftSize, level: bins[best] };
}

setInterval(function () {
  for (const seen of watched) {
    if (seen.kind === "video" && seen.first !== null && seen.video.videoWidth > 0) {
      report("picture", { from: seen.from, colour: look(seen), width: seen.video.videoWidth });
    } else if (seen.kind === "audio") {
      report("sound", Object.assign({ from: seen.from }, listen(seen)));
    }
  }
}, 300);

function videocall(janus) {
  let handle = null;
  janus.attach({
    plugin: "janus.plugin.videocall",
    success: function (h) {
      handle = h;
      handle.send({ message: { request: "register", username: params.get("me") } });
    },
    error: fail("attach"),
    onremotetrack: function (track, mid, on) { if (on) watch(track, "centre"); },
    onmessage: function (msg, jsep) {
      const result = msg.result || {};
      const event = result.event || (msg.error ? "error" : "");
      report("videocall", { name: event, peer: result.username || "", reason: result.reason || msg.error || "" });
      if (event === "registered" && params.get("centre")) {
        handle.createOffer({
          tracks: BOTH,
          success: function (offer) {
            handle.send({ message: { request: "call", username: params.get("centre") }, jsep: offer });
          },
          error: fail("offer"),
        });
      } else if (event === "incomingcall" && params.get("answer")) {
        handle.createAnswer({
          jsep: jsep,
          tracks: BOTH,
          success: function (answer) { handle.send({ message: { request: "accept" }, jsep: answer }); },
          error: fail("answer"),
        });
      } else if (event === "accepted" && jsep) {
        handle.handleRemoteJsep({ jsep: jsep, error: fail("remote jsep") });
      }
    },
    webrtcState: function (up) { report("webrtc", { up: up }); },
  });
}

function videoroom(janus) {
  const room = Number(params.get("room"));
  const subscribed = new Set();
  let me = null;

  function subscribe(publisher) {
    if (subscribed.has(publisher.id)) return;
    subscribed.add(publisher.id);
    let sub = null;
    janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (h) {
        sub = h;
        sub.send({ message: { request: "join", room: room, ptype: "subscriber", streams: [{ feed: publisher.id }] } });
      },
      error: fail("attach subscriber"),
      onremotetrack: function (track, mid, on) { if (on) watch(track, publisher.display); },
      onmessage: function (msg, jsep) {
        if (!jsep) return;
        sub.createAnswer({
          jsep: jsep,
          tracks: [],
          success: function (answer) { sub.send({ message: { request: "start", room: room }, jsep: answer }); },
          error: fail("subscriber answer"),
        });
      },
    });
  }

  function publishers(list) {
    for (const p of list || []) subscribe(p);
  }

  janus.attach({
    plugin: "janus.plugin.videoroom",
    success: function (h) {
      me = h;
      me.send({ message: { request: "join", room: room, ptype: "publisher", display: params.get("me") } });
    },
    error: fail("attach publisher"),
    onmessage: function (msg, jsep) {
      report("videoroom", { name: msg.videoroom || "", error: msg.error || "" });
      if (msg.videoroom === "joined") {
        me.createOffer({
          tracks: SEND_ONLY,
          success: function (offer) { me.send({ message: { request: "configure", audio: true, video: true }, jsep: offer }); },
          error: fail("publish"),
        });
      }
      publishers(msg.publishers);
      if (jsep) me.handleRemoteJsep({ jsep: jsep, error: fail("remote jsep") });
    },
    webrtcState: function (up) { report("webrtc", { up: up }); },
  });
}

Janus.init({
  debug: false,
  callback: function () {
    const janus = new Janus({
      server: params.get("server"),
      token: params.get("token") || null,
      iceServers: [],
      success: function () {
        report("connected");
        if (params.get("room")) videoroom(janus); else videocall(janus);
      },
      error: fail("session"),
    });
  },
});
