package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkGroupCommit32 measures what group commit could save the 32
// concurrent writers of "statstore bench serve" (issue 13): per round,
// 32 goroutines each append one request's record (1,000 iterations,
// about 24 KB) to their own file, then make it durable
//
//   - fsync-each: each its own fsync (what the file store does now);
//   - fdatasync-each: each its own fdatasync;
//   - syncfs-once: the 32 appends that arrived together share one syncfs
//     of the file system (group commit across files).
//
// ns/op is one round (32 requests); compare the variants as ratios in one
// run (docs/benchmarks.md).
func BenchmarkGroupCommit32(b *testing.B) {
	const writers, recordBytes = 32, 24_440
	for _, mode := range []string{"fsync-each", "fdatasync-each", "syncfs-once"} {
		b.Run(mode, func(b *testing.B) {
			dir := b.TempDir()
			files := make([]*os.File, writers)
			for i := range files {
				f, err := os.OpenFile(filepath.Join(dir, "f"+string(rune('a'+i))), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				files[i] = f
			}
			buf := make([]byte, recordBytes)
			b.SetBytes(writers * recordBytes)
			for b.Loop() {
				var wg sync.WaitGroup
				errs := make([]error, writers)
				for i, f := range files {
					wg.Go(func() {
						if _, err := f.Write(buf); err != nil {
							errs[i] = err
							return
						}
						switch mode {
						case "fsync-each":
							errs[i] = f.Sync()
						case "fdatasync-each":
							errs[i] = unix.Fdatasync(int(f.Fd()))
						}
					})
				}
				wg.Wait()
				if mode == "syncfs-once" {
					errs[0] = unix.Syncfs(int(files[0].Fd()))
				}
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
