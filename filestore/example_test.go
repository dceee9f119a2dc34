package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
)

// One flipped bit in the last record of a file is damage, not a torn
// tail: fsck (Verify) and every reader report the file and the offset,
// and Repair fixes the file after a backup (it keeps every entry that
// still verifies: see ExampleRepair).
func ExampleVerify() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stats")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	s, err := filestore.Open(dir, filestore.Options{NoSync: true})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	var stats statstore.TrainingStats
	for i := range 3 {
		_ = stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.1})
	}
	if err := s.StoreTrainingStats(ctx, "run", &stats); err != nil {
		panic(err)
	}

	path := filepath.Join(dir, "training_stats", "run")
	data, _ := os.ReadFile(path)
	data[len(data)-1] ^= 0x01 // one bit of the last entry's time
	_ = os.WriteFile(path, data, 0o644)

	rep, err := filestore.Verify(ctx, dir)
	if err != nil {
		panic(err)
	}
	var ce *statstore.CorruptError
	errors.As(rep.Files[0].Err, &ce)
	fmt.Println("fsck ok:", rep.OK(), "torn tail:", rep.Files[0].TornTail, "damage at offset:", ce.Offset)

	_, err = s.RetrieveTrainingStats(ctx, "run")
	fmt.Println("read fails:", errors.Is(err, statstore.ErrCorrupt))

	rep, err = filestore.Repair(ctx, dir, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("backed up:", rep.Files[0].Backup != "")
	// Output:
	// fsck ok: false torn tail: false damage at offset: 32
	// read fails: true
	// backed up: true
}

// A history stored in one call is one record; one flipped byte in its
// middle costs Repair only the entries of the chunk it hit, and the
// report says what was kept, what was lost and where the backup is.
func ExampleRepair() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stats")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	s, err := filestore.Open(dir, filestore.Options{NoSync: true})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	var stats statstore.TrainingStats
	for i := range 5000 {
		_ = stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.1})
	}
	if err := s.StoreTrainingStats(ctx, "run", &stats); err != nil {
		panic(err)
	}
	path := filepath.Join(dir, "training_stats", "run")
	data, _ := os.ReadFile(path)
	data[len(data)/2] ^= 0x01
	_ = os.WriteFile(path, data, 0o644)

	rep, err := filestore.Repair(ctx, dir, nil)
	if err != nil {
		panic(err)
	}
	f := rep.Files[0]
	fmt.Println("kept:", f.Kept, "backed up:", filepath.Dir(f.Backup) == filepath.Join(dir, ".backup", "training_stats"))
	for _, l := range f.Lost {
		fmt.Println("lost:", l)
	}
	got, err := s.RetrieveTrainingStats(ctx, "run")
	fmt.Println("reads:", got.Len(), err)
	// Output:
	// kept: 4979 backed up: true
	// lost: 21 entries between iterations 2497 and 2519 (bytes 60953 to 61472: middle chunk of 504 bytes fails its checksum)
	// reads: 4979 <nil>
}
