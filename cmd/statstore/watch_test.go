package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/internal/dirwatch"
	"github.com/statstore/statstore/storetest"
)

// The trainer child of TestServeFollowsTrainer: the test binary re-executes
// itself with envTrainer set to the parameters (JSON), and
// TestWatchTrainerChild then writes the file store as a training job does.
const envTrainer = "STATSTORE_TEST_WATCH_TRAINER"

// trainerPlan is what the trainer child writes: Appends appends of Batch
// entries each, Pause apart, a validation merge after every ValidateEvery
// appends, and after ResumeAfter appends a resume from iteration ResumeAt
// (a replace), then the remaining appends.
type trainerPlan struct {
	Dir           string
	Run           string
	Appends       int
	Batch         int
	Pause         time.Duration
	ValidateEvery int
	ResumeAfter   int
	ResumeAt      int
}

// trainerWrite is one line the trainer prints after each write returned:
// what it wrote and when.
type trainerWrite struct {
	Kind         statstore.EventKind
	TrainedUntil int   // for training writes
	Began        int64 // Unix nanoseconds when the write was called
	At           int64 // Unix nanoseconds when the write returned
}

// TestWatchTrainerChild is the trainer process; run directly it does nothing.
func TestWatchTrainerChild(t *testing.T) {
	arg := os.Getenv(envTrainer)
	if arg == "" {
		return
	}
	var p trainerPlan
	if err := json.Unmarshal([]byte(arg), &p); err != nil {
		t.Fatal(err)
	}
	s, err := filestore.Open(p.Dir, filestore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	m := storetest.Metadata()
	report := func(k statstore.EventKind, until int, began time.Time) {
		b, _ := json.Marshal(trainerWrite{Kind: k, TrainedUntil: until, Began: began.UnixNano(), At: time.Now().UnixNano()})
		fmt.Println(string(b))
	}
	until := 0
	for i := 1; i <= p.Appends; i++ {
		kind := statstore.EventTrainingAppended
		if i == p.ResumeAfter+1 {
			kind, until = statstore.EventTrainingReplaced, p.ResumeAt
		}
		until += p.Batch
		version := 0
		if i > p.ResumeAfter {
			version = 1
		}
		began := time.Now()
		if err := s.StoreTrainingStats(ctx, p.Run, storetest.TrainingVersion(version, span(0, until, 1)...)); err != nil {
			t.Fatal(err)
		}
		report(kind, until, began)
		if p.ValidateEvery > 0 && i%p.ValidateEvery == 0 {
			began := time.Now()
			if err := s.StoreValidationIterationScores(ctx, p.Run, storetest.Scores(m, until-1)); err != nil {
				t.Fatal(err)
			}
			report(statstore.EventValidationMerged, until, began)
		}
		time.Sleep(p.Pause)
	}
}

// arrival is an event of the stream and when it arrived.
type arrival struct {
	ev statstore.Event
	at time.Time
}

// TestServeFollowsTrainer: a trainer process writes the file store directly
// while statstore serve (this process, with its own Store on the directory)
// streams GET /api/v1/events: every write's event arrives, in order (the
// appends contiguous, the resume a replace), with kernel notifications and
// with the polling fallback forced. The latencies are reported, not
// asserted: waits fail only after 10s.
func TestServeFollowsTrainer(t *testing.T) {
	for _, mode := range []string{"notify", "poll"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			srv := startServe(t, []string{"--store", dir}, "--watch", mode)
			c, err := httpapi.NewClient(srv.url, httpapi.ClientOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			// Writes further apart than a look, so that each has its event
			// (writes between two looks may be told as one).
			pause := 30 * time.Millisecond
			if mode == "poll" {
				pause = 2 * dirwatch.DefaultPollInterval
			}
			plan := trainerPlan{Dir: dir, Run: "trainer", Appends: 16, Batch: 25, Pause: pause,
				ValidateEvery: 5, ResumeAfter: 10, ResumeAt: 100}
			events, err := c.Watch(ctx, statstore.WatchFilter{Runs: []string{plan.Run}})
			if err != nil {
				t.Fatal(err)
			}
			// The events are taken in as they arrive, while the trainer runs.
			arrivals := make(chan arrival, 1000)
			go func() {
				for ev := range events {
					arrivals <- arrival{ev, time.Now()}
				}
			}()
			writes := runTrainer(t, plan)
			last := writes[len(writes)-1]
			var got []arrival
			timeout := time.After(10 * time.Second)
			for !followed(got, writes) {
				select {
				case a := <-arrivals:
					got = append(got, a)
				case <-timeout:
					t.Fatalf("10s after the trainer's last write (trained until %d), the stream holds %s", last.TrainedUntil, describeArrivals(got))
				}
			}
			latencies := checkArrivals(t, got, writes)
			slices.Sort(latencies)
			t.Logf("%s: %d writes, %d events; latency median %v, max %v", mode, len(writes), len(got),
				latencies[len(latencies)/2], latencies[len(latencies)-1])
		})
	}
}

// runTrainer runs the trainer child to its end and returns its writes.
func runTrainer(t *testing.T, p trainerPlan) []trainerWrite {
	t.Helper()
	arg, _ := json.Marshal(p)
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchTrainerChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envTrainer+"="+string(arg))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("trainer: %v\n%s\n%s", err, out, stderr.String())
	}
	var writes []trainerWrite
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var w trainerWrite
		if json.Unmarshal(sc.Bytes(), &w) == nil && w.Kind != "" {
			writes = append(writes, w)
		}
	}
	if len(writes) == 0 {
		t.Fatalf("the trainer reported no write:\n%s", out)
	}
	return writes
}

// trainingPath returns the training events' ends and the history each
// belongs to (a replace starts the next).
func trainingPath(got []arrival) (tos []int, epochs []int) {
	epoch := 0
	for _, a := range got {
		switch a.ev.Kind {
		case statstore.EventTrainingReplaced:
			epoch++
			fallthrough
		case statstore.EventTrainingAppended:
			tos, epochs = append(tos, a.ev.To), append(epochs, epoch)
		}
	}
	return tos, epochs
}

// followed reports whether the events cover the trainer's last training
// write and, after its last validation write, a validation event arrived.
func followed(got []arrival, writes []trainerWrite) bool {
	tos, _ := trainingPath(got)
	var lastTrain, lastVal *trainerWrite
	for i := range writes {
		if writes[i].Kind == statstore.EventValidationMerged {
			lastVal = &writes[i]
		} else {
			lastTrain = &writes[i]
		}
	}
	if len(tos) == 0 || tos[len(tos)-1] != lastTrain.TrainedUntil {
		return false
	}
	if lastVal == nil {
		return true
	}
	// The follower may see the record, and the event arrive, before the
	// write returns (it still has its summary to write): an event that
	// arrived after the write began covers it.
	return slices.ContainsFunc(got, func(a arrival) bool {
		return a.ev.Kind == statstore.EventValidationMerged && a.at.UnixNano() >= lastVal.Began
	})
}

// checkArrivals checks the events against the writes and returns each
// write's latency: from the write's return to the arrival of the first
// event covering it. The training events must be contiguous appends within
// a history and one replace per resume; every training write must be
// covered, in order; no resync.
func checkArrivals(t *testing.T, got []arrival, writes []trainerWrite) []time.Duration {
	t.Helper()
	prevTo := 0
	for _, a := range got {
		switch a.ev.Kind {
		case statstore.EventResync:
			t.Fatalf("a resync in a healthy stream: %s", describeArrivals(got))
		case statstore.EventTrainingAppended:
			if a.ev.From != prevTo || a.ev.To <= a.ev.From {
				t.Fatalf("append [%d, %d) after the history reached %d: %s", a.ev.From, a.ev.To, prevTo, describeArrivals(got))
			}
			prevTo = a.ev.To
		case statstore.EventTrainingReplaced:
			prevTo = a.ev.To
		}
	}
	tos, epochs := trainingPath(got)
	var latencies []time.Duration
	next, epoch := 0, 0
	for _, w := range writes {
		if w.Kind == statstore.EventValidationMerged {
			i := slices.IndexFunc(got, func(a arrival) bool {
				return a.ev.Kind == statstore.EventValidationMerged && a.at.UnixNano() >= w.Began
			})
			if i < 0 {
				t.Fatalf("no validation event after the validation write at %d began", w.TrainedUntil)
			}
			latencies = append(latencies, max(0, got[i].at.Sub(time.Unix(0, w.At))))
			continue
		}
		if w.Kind == statstore.EventTrainingReplaced {
			epoch++
		}
		for next < len(tos) && (epochs[next] < epoch || tos[next] < w.TrainedUntil) {
			next++
		}
		if next == len(tos) || epochs[next] != epoch {
			t.Fatalf("the training write up to %d (history %d) is covered by no event: %s", w.TrainedUntil, epoch, describeArrivals(got))
		}
		// The arrival of the event covering the write.
		k := -1
		for i, n := 0, -1; i < len(got); i++ {
			if got[i].ev.Kind == statstore.EventTrainingAppended || got[i].ev.Kind == statstore.EventTrainingReplaced {
				if n++; n == next {
					k = i
					break
				}
			}
		}
		latencies = append(latencies, max(0, got[k].at.Sub(time.Unix(0, w.At))))
	}
	return latencies
}

// describeArrivals renders the events for a failure message.
func describeArrivals(got []arrival) string {
	var b strings.Builder
	for _, a := range got {
		b.WriteString(" " + string(a.ev.Kind) + "[" + strconv.Itoa(a.ev.From) + "," + strconv.Itoa(a.ev.To) + ")")
	}
	return fmt.Sprintf("%d events:%s", len(got), b.String())
}
