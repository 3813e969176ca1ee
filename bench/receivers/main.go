// Many WebRTC ends in one small process, for the meeting benchmarks (bench/meeting_shapes.py):
// Janus' cost per watching centre can only be measured with hundreds of receivers, and
// a Python end (aiortc) decodes every picture and handles each packet in Python, which
// this 2-core machine cannot do for 300 of them beside Janus. These receivers never
// decode: they count each stream's packets, the packets missing from its sequence, and
// the longest silence between two packets (a frozen picture). One publisher can also
// be played from a VP8 IVF file and an Opus Ogg file, sent as they are (no encoding).
//
// Signalling stays with the Python side (Janus' WebSocket API); this program only makes
// and answers SDP. One JSON object a line on stdin, one on stdout:
//
//	{"id": 7, "offer": "v=0..."}           -> {"id": 7, "answer": "v=0..."}  (a receiver)
//	{"id": 0, "publish": {"ivf": P, "ogg": Q}} -> {"id": 0, "offer": "v=0..."}
//	{"id": 0, "answer": "v=0..."}           -> {"id": 0, "ok": true}         (the publisher)
//	{"cmd": "reset"}                       -> {"reset": true}  (counts start again)
//	{"cmd": "report"}                      -> {"report": {...}}
//	{"id": 7, "cmd": "close"}              -> {"id": 7, "closed": true}
//	{"id": 7, "cmd": "trace"}              -> {"id": 7, "tracing": true}
//	{"cmd": "delays", "a": 7, "b": 8}      -> {"delays": {...}}
//
// A traced receiver notes when each video payload arrived (by its bytes, which Janus
// forwards unchanged): "delays" compares two traced receivers of the same picture,
// e.g. one subscribed in the VideoRoom and one watching the forwarded mountpoint, and
// says how much later *b* got the same payloads than *a* (ms: p50, p95, max).
//
// Build (Debian 12: golang-go, golang-github-pion-webrtc.v3-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o receivers bench/receivers/main.go
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"hash/fnv"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
	"github.com/pion/webrtc/v3/pkg/media/oggreader"
)

type request struct {
	ID      int               `json:"id"`
	Offer   string            `json:"offer,omitempty"`
	Answer  string            `json:"answer,omitempty"`
	Cmd     string            `json:"cmd,omitempty"`
	Publish map[string]string `json:"publish,omitempty"`
	A       int               `json:"a,omitempty"`
	B       int               `json:"b,omitempty"`
}

// stream is one received RTP stream's tally since the last reset.
type stream struct {
	kind    string
	packets uint64
	lost    uint64
	seq     uint16
	started bool
	last    time.Time
	maxGap  time.Duration
	freezes uint64 // silences above one second
}

type receiver struct {
	pc        *webrtc.PeerConnection
	mu        sync.Mutex
	streams   []*stream
	connected bool
	trace     map[uint64]time.Time // video payload hash -> first arrival, when traced
}

const traceMost = 50000

var (
	api       *webrtc.API
	out       = json.NewEncoder(os.Stdout)
	outMu     sync.Mutex
	all       = map[int]*receiver{}
	allMu     sync.Mutex
	publisher *webrtc.PeerConnection
)

func say(v interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	_ = out.Encode(v)
}

func main() {
	iface := flag.String("interface", "", "gather ICE candidates on this interface only")
	flag.Parse()

	engine := &webrtc.MediaEngine{}
	if err := engine.RegisterDefaultCodecs(); err != nil {
		panic(err)
	}
	settings := webrtc.SettingEngine{}
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if *iface != "" {
		settings.SetInterfaceFilter(func(name string) bool { return name == *iface })
	}
	// No interceptors: no NACKs, no reports; a watcher here costs Janus what sending costs.
	api = webrtc.NewAPI(webrtc.WithMediaEngine(engine), webrtc.WithSettingEngine(settings))

	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		var req request
		if err := json.Unmarshal(lines.Bytes(), &req); err != nil {
			say(map[string]interface{}{"error": err.Error()})
			continue
		}
		switch {
		case req.Cmd == "report":
			say(map[string]interface{}{"report": report()})
		case req.Cmd == "reset":
			reset()
			say(map[string]bool{"reset": true})
		case req.Cmd == "close":
			go closeOne(req.ID)
		case req.Cmd == "trace":
			startTrace(req.ID)
		case req.Cmd == "delays":
			say(map[string]interface{}{"delays": delays(req.A, req.B)})
		case req.Publish != nil:
			go publish(req.ID, req.Publish["ivf"], req.Publish["ogg"])
		case req.Answer != "":
			go published(req.ID, req.Answer)
		case req.Offer != "":
			go receive(req.ID, req.Offer)
		}
	}
}

func fail(id int, err error) {
	say(map[string]interface{}{"id": id, "error": err.Error()})
}

func receive(id int, offer string) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		fail(id, err)
		return
	}
	r := &receiver{pc: pc}
	allMu.Lock()
	all[id] = r
	allMu.Unlock()
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		r.mu.Lock()
		r.connected = state == webrtc.PeerConnectionStateConnected
		r.mu.Unlock()
	})
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		s := &stream{kind: track.Kind().String()}
		r.mu.Lock()
		r.streams = append(r.streams, s)
		r.mu.Unlock()
		buf := make([]byte, 1500)
		for {
			n, _, err := track.Read(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			seq := binary.BigEndian.Uint16(buf[2:4])
			now := time.Now()
			r.mu.Lock()
			if r.trace != nil && s.kind == "video" && len(r.trace) < traceMost {
				var packet rtp.Packet
				if packet.Unmarshal(buf[:n]) == nil && len(packet.Payload) > 0 {
					h := fnv.New64a()
					_, _ = h.Write(packet.Payload)
					if _, seen := r.trace[h.Sum64()]; !seen {
						r.trace[h.Sum64()] = now
					}
				}
			}
			if s.started {
				step := seq - s.seq
				if step >= 1 && step < 1000 { // later packet; larger: a duplicate or late one
					s.lost += uint64(step - 1)
					s.seq = seq
				}
				if gap := now.Sub(s.last); gap > s.maxGap {
					s.maxGap = gap
				}
				if now.Sub(s.last) > time.Second {
					s.freezes++
				}
			} else {
				s.started, s.seq = true, seq
			}
			s.last = now
			s.packets++
			r.mu.Unlock()
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		fail(id, err)
		return
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		fail(id, err)
		return
	}
	sdp, err := withCandidates(pc, answer)
	if err != nil {
		fail(id, err)
		return
	}
	say(map[string]interface{}{"id": id, "answer": sdp})
}

// withCandidates sets *description* as *pc*'s own and returns it once every ICE
// candidate is in it (Janus is given no trickle).
func withCandidates(pc *webrtc.PeerConnection, description webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(description); err != nil {
		return "", err
	}
	<-gathered
	return pc.LocalDescription().SDP, nil
}

func closeOne(id int) {
	allMu.Lock()
	r := all[id]
	delete(all, id)
	allMu.Unlock()
	if r != nil {
		_ = r.pc.Close()
	}
	say(map[string]interface{}{"id": id, "closed": true})
}

func reset() {
	allMu.Lock()
	defer allMu.Unlock()
	now := time.Now()
	for _, r := range all {
		r.mu.Lock()
		for _, s := range r.streams {
			s.packets, s.lost, s.maxGap, s.freezes = 0, 0, 0, 0
			if s.started {
				s.last = now
			}
		}
		r.mu.Unlock()
	}
}

// report sums the receivers' tallies; a stream that has been silent since the last
// packet counts that silence too (a receiver that stopped getting anything).
func report() map[string]interface{} {
	allMu.Lock()
	defer allMu.Unlock()
	now := time.Now()
	var connected, video, audio int
	var packets, lost, freezes uint64
	gaps := []float64{}
	videoIDs := []int{}
	for id, r := range all {
		r.mu.Lock()
		if r.connected {
			connected++
		}
		worst := time.Duration(0)
		for _, s := range r.streams {
			packets += s.packets
			lost += s.lost
			freezes += s.freezes
			gap := s.maxGap
			if s.started && now.Sub(s.last) > gap {
				gap = now.Sub(s.last)
			}
			if s.kind == "video" {
				if s.packets > 0 {
					video++
					videoIDs = append(videoIDs, id)
				}
				if gap > worst {
					worst = gap
				}
			} else if s.packets > 0 {
				audio++
			}
		}
		r.mu.Unlock()
		gaps = append(gaps, float64(worst)/float64(time.Millisecond))
	}
	sort.Float64s(gaps)
	pick := func(q float64) float64 {
		if len(gaps) == 0 {
			return 0
		}
		return gaps[int(q*float64(len(gaps)-1))]
	}
	return map[string]interface{}{
		"receivers": len(all), "connected": connected, "with_video": video, "with_audio": audio,
		"packets": packets, "lost": lost, "freezes": freezes, "video_ids": videoIDs,
		"video_gap_ms_p50": pick(0.5), "video_gap_ms_p95": pick(0.95), "video_gap_ms_max": pick(1),
	}
}

// publish offers a VP8 video and an Opus audio track, played from *ivf* and *ogg*
// (looped) once the answer is in and the connection is up.
func publish(id int, ivf, ogg string) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		fail(id, err)
		return
	}
	video, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "host")
	audio, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "host")
	for _, track := range []webrtc.TrackLocal{audio, video} {
		sender, err := pc.AddTrack(track)
		if err != nil {
			fail(id, err)
			return
		}
		go func() { // RTCP must be read for the sender to go on
			buf := make([]byte, 1500)
			for {
				if _, _, err := sender.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	up := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		if state == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(up) })
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		fail(id, err)
		return
	}
	sdp, err := withCandidates(pc, offer)
	if err != nil {
		fail(id, err)
		return
	}
	publisher = pc
	say(map[string]interface{}{"id": id, "offer": sdp})
	go func() {
		<-up
		go playIVF(video, ivf)
		go playOgg(audio, ogg)
	}()
}

func published(id int, answer string) {
	if publisher == nil {
		fail(id, errors.New("no publisher offered"))
		return
	}
	err := publisher.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
	if err != nil {
		fail(id, err)
		return
	}
	say(map[string]interface{}{"id": id, "ok": true})
}

// reader gives a file's next sample; a source opens a reader on a file and says how
// often it gives a sample.
type reader func() (media.Sample, error)
type source func(io.Reader) (reader, time.Duration, error)

// play sends *path*'s samples on *track* at their pace, from the start again at its end,
// until the track is closed.
func play(track *webrtc.TrackLocalStaticSample, path string, open source) {
	for {
		file, err := os.Open(path)
		if err != nil {
			return
		}
		next, every, err := open(file)
		if err != nil {
			file.Close()
			return
		}
		tick := time.NewTicker(every)
		for range tick.C {
			sample, err := next()
			if err != nil {
				break
			}
			if track.WriteSample(sample) != nil {
				tick.Stop()
				file.Close()
				return
			}
		}
		tick.Stop()
		file.Close()
	}
}

func playIVF(track *webrtc.TrackLocalStaticSample, path string) {
	play(track, path, func(file io.Reader) (reader, time.Duration, error) {
		ivf, header, err := ivfreader.NewWith(file)
		if err != nil {
			return nil, 0, err
		}
		frame := time.Duration(float64(time.Second) * float64(header.TimebaseNumerator) / float64(header.TimebaseDenominator))
		return func() (media.Sample, error) {
			data, _, err := ivf.ParseNextFrame()
			return media.Sample{Data: data, Duration: frame}, err
		}, frame, nil
	})
}

func playOgg(track *webrtc.TrackLocalStaticSample, path string) {
	play(track, path, func(file io.Reader) (reader, time.Duration, error) {
		ogg, _, err := oggreader.NewWith(file)
		if err != nil {
			return nil, 0, err
		}
		var last uint64
		return func() (media.Sample, error) {
			page, header, err := ogg.ParseNextPage()
			if err != nil {
				return media.Sample{}, err
			}
			samples := header.GranulePosition - last
			last = header.GranulePosition
			return media.Sample{Data: page, Duration: time.Duration(samples) * time.Second / 48000}, nil
		}, 20 * time.Millisecond, nil
	})
}

func startTrace(id int) {
	allMu.Lock()
	r := all[id]
	allMu.Unlock()
	if r == nil {
		fail(id, errors.New("no such receiver"))
		return
	}
	r.mu.Lock()
	r.trace = map[uint64]time.Time{}
	r.mu.Unlock()
	say(map[string]interface{}{"id": id, "tracing": true})
}

// delays: how much later receiver *b* got the video payloads both got than *a*.
func delays(a, b int) map[string]interface{} {
	allMu.Lock()
	ra, rb := all[a], all[b]
	allMu.Unlock()
	if ra == nil || rb == nil {
		return map[string]interface{}{"error": "no such receiver"}
	}
	ra.mu.Lock()
	rb.mu.Lock()
	ms := []float64{}
	for key, at := range ra.trace {
		if later, ok := rb.trace[key]; ok {
			ms = append(ms, float64(later.Sub(at))/float64(time.Millisecond))
		}
	}
	rb.mu.Unlock()
	ra.mu.Unlock()
	sort.Float64s(ms)
	if len(ms) == 0 {
		return map[string]interface{}{"payloads": 0}
	}
	pick := func(q float64) float64 { return ms[int(q*float64(len(ms)-1))] }
	return map[string]interface{}{
		"payloads": len(ms), "ms_p50": pick(0.5), "ms_p95": pick(0.95), "ms_max": pick(1), "ms_min": pick(0),
	}
}
