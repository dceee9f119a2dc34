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
// and Repair keeps the valid prefix after a backup.
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
