package dacapo

import (
	"os"
	"path/filepath"
	"time"
)

// lastWrite returns when DaCapo last wrote the run: the later modification
// time of its training_stats and validation_scores pickles (DaCapo
// rewrites a whole pickle on every store). It only stats the files, never
// opens or changes them; a file that cannot be stat'ed does not count, and
// the zero time means neither could (RunInfo.LastWrite unknown).
func (s *Store) lastWrite(run string) time.Time {
	var last time.Time
	for _, sub := range []string{TrainingDir, ValidationDir} {
		if fi, err := os.Stat(filepath.Join(s.dir, sub, run)); err == nil && fi.ModTime().After(last) {
			last = fi.ModTime()
		}
	}
	return last
}
