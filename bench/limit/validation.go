package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/statstore/statstore"
)

// validation appends one record per checkpoint (iteration, then the scores
// in [dataset][parameter][criterion] order) with one write and fsync each,
// then reads the file back into nested slices.
func validation(dir string, checkpoints, every int, sh [3]int, sync bool) (res result, err error) {
	res = result{Workload: "validation", Iterations: checkpoints * every, Every: every, Checkpoints: checkpoints, Sync: sync}
	path := filepath.Join(dir, "validation")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return res, err
	}
	defer closeFile(f, &err)
	per := sh[0] * sh[1] * sh[2]
	recSize := 8 + 8*per
	rng := rand.New(rand.NewPCG(1, 2))
	scores := make([]float64, per)
	buf := make([]byte, 0, recSize)
	var write time.Duration
	for c := 1; c <= checkpoints; c++ {
		for i := range scores {
			scores[i] = rng.Float64()
		}
		start := time.Now()
		buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(c*every))
		for _, x := range scores {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
		}
		if err := writeSync(f, buf, sync); err != nil {
			return res, err
		}
		write += time.Since(start)
		res.Calls++
	}
	res.WriteS, res.Bytes = write.Seconds(), int64(checkpoints*recSize)

	for range readRepeats {
		runtime.GC() // what the write phase freed is not the read's to collect
		start := time.Now()
		got, err := readValidation(path, sh)
		if err != nil {
			return res, err
		}
		res.ReadS = fastest(res.ReadS, time.Since(start))
		if len(got) != checkpoints || got[checkpoints-1].Iteration != checkpoints*every {
			return res, fmt.Errorf("read back %d checkpoints, want %d", len(got), checkpoints)
		}
	}
	return res, nil
}

// readValidation reads the whole file into ValidationIterationScores.
func readValidation(path string, sh [3]int) ([]statstore.ValidationIterationScores, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	per := sh[0] * sh[1] * sh[2]
	recSize := 8 + 8*per
	if len(b)%recSize != 0 {
		return nil, fmt.Errorf("%s holds %d bytes, want a multiple of %d", path, len(b), recSize)
	}
	out := make([]statstore.ValidationIterationScores, len(b)/recSize)
	for i := range out {
		r := b[i*recSize:]
		flat := make([]float64, per)
		for j := range flat {
			flat[j] = math.Float64frombits(binary.LittleEndian.Uint64(r[8+8*j:]))
		}
		s := make([][][]float64, sh[0])
		for d := range s {
			s[d] = make([][]float64, sh[1])
			for p := range s[d] {
				s[d][p], flat = flat[:sh[2]:sh[2]], flat[sh[2]:]
			}
		}
		out[i] = statstore.ValidationIterationScores{Iteration: int(binary.LittleEndian.Uint64(r)), Scores: s}
	}
	return out, nil
}
