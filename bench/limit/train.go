package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/statstore/statstore"
)

// readRepeats is how many times each warm read is timed, keeping the
// fastest (issue 13's strict limit: best of 5 warm).
const readRepeats = 5

// fastest returns d in seconds if it beats best (0 meaning none yet).
func fastest(best float64, d time.Duration) float64 {
	if best == 0 || d.Seconds() < best {
		return d.Seconds()
	}
	return best
}

// entrySize is one training entry: iteration, loss and time, 8 bytes each.
const entrySize = 24

// train appends n entries, one write (and fsync) per checkpoint of every
// entries, then reads them back and times a stride subsample.
func train(dir string, n, every int, sync bool) (res result, err error) {
	res = result{Workload: "train", Iterations: n, Every: every, Sync: sync}
	path := filepath.Join(dir, "train")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return res, err
	}
	defer closeFile(f, &err)
	buf := make([]byte, 0, every*entrySize)
	var write time.Duration
	for i := range n {
		if (i+1)%every != 0 && i != n-1 {
			continue
		}
		from := i + 1 - every
		if (i+1)%every != 0 {
			from = i - i%every
		}
		start := time.Now()
		buf = buf[:0]
		for j := from; j <= i; j++ {
			buf = appendEntry(buf, statstore.TrainingIterationStats{Iteration: j, Loss: 1 / float64(j+1), Time: 0.01})
		}
		if err := writeSync(f, buf, sync); err != nil {
			return res, err
		}
		write += time.Since(start)
		res.Calls++
	}
	res.WriteS, res.Checkpoints, res.Bytes = write.Seconds(), res.Calls, int64(n)*entrySize

	rf, err := os.Open(path)
	if err != nil {
		return res, err
	}
	defer closeFile(rf, &err)
	r := reader{f: rf}
	if _, err := r.read(); err != nil { // warm-up: pages, buffer and structs
		return res, err
	}
	runtime.GC() // what the write phase freed is not the read's to collect
	for range readRepeats {
		start := time.Now()
		stats, err := r.read()
		if err != nil {
			return res, err
		}
		res.ReadS = fastest(res.ReadS, time.Since(start))
		if len(stats) != n || stats[n-1].Iteration != n-1 {
			return res, fmt.Errorf("read back %d entries, want %d", len(stats), n)
		}
		start = time.Now()
		pts, err := subsample(path, n)
		if err != nil {
			return res, err
		}
		if d := time.Since(start).Seconds(); res.SubsampleS == nil || d < *res.SubsampleS {
			res.SubsampleS = &d
		}
		if got := pts[len(pts)-1].Iteration; got != n-1 {
			return res, fmt.Errorf("subsample ends at iteration %d, want %d", got, n-1)
		}
	}
	return res, nil
}

func appendEntry(b []byte, s statstore.TrainingIterationStats) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(s.Iteration))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.Loss))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(s.Time))
}

func decodeEntry(b []byte) statstore.TrainingIterationStats {
	return statstore.TrainingIterationStats{
		Iteration: int(binary.LittleEndian.Uint64(b)),
		Loss:      math.Float64frombits(binary.LittleEndian.Uint64(b[8:])),
		Time:      math.Float64frombits(binary.LittleEndian.Uint64(b[16:])),
	}
}

// writeSync writes b with one write call and, with sync, one fdatasync.
func writeSync(f *os.File, b []byte, sync bool) error {
	if _, err := f.Write(b); err != nil {
		return err
	}
	if sync {
		return fdatasync(f)
	}
	return nil
}

// reader reads a training file whole, again and again, into the same
// buffer and the same structs: the least a full read can do.
type reader struct {
	f     *os.File
	buf   []byte
	stats []statstore.TrainingIterationStats
}

// read reads the whole file with one pread (after an fstat for its size)
// and decodes it into r.stats, reusing the memory of earlier reads.
func (r *reader) read() ([]statstore.TrainingIterationStats, error) {
	fi, err := r.f.Stat()
	if err != nil {
		return nil, err
	}
	size := int(fi.Size())
	if cap(r.buf) < size {
		r.buf = make([]byte, size)
	}
	b := r.buf[:size]
	if n, err := r.f.ReadAt(b, 0); n != size {
		return nil, fmt.Errorf("read %d of %d bytes: %w", n, size, err)
	}
	n := size / entrySize
	if cap(r.stats) < n {
		r.stats = make([]statstore.TrainingIterationStats, n)
	}
	out := r.stats[:n]
	for i := range out {
		out[i] = decodeEntry(b[i*entrySize:])
	}
	return out, nil
}

// readTraining reads the whole file into new structs.
func readTraining(path string) (_ []statstore.TrainingIterationStats, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer closeFile(f, &err)
	r := reader{f: f}
	return r.read()
}

// subsample reads the entries statstore's stride subsample of 1,000 points
// selects, knowing that entry i holds iteration i: one 24-byte read each.
func subsample(path string, n int) (_ []statstore.TrainingIterationStats, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer closeFile(f, &err)
	targets := statstore.SubsampleTargets(0, n-1, statstore.DefaultMaxPoints)
	out := make([]statstore.TrainingIterationStats, 0, len(targets))
	var b [entrySize]byte
	for _, t := range targets {
		if _, err := f.ReadAt(b[:], int64(t)*entrySize); err != nil {
			return nil, err
		}
		out = append(out, decodeEntry(b[:]))
	}
	return out, nil
}

// closeFile closes f, keeping the first error in *err.
func closeFile(f *os.File, err *error) {
	if cerr := f.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}
