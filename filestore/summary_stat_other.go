//go:build !linux

package filestore

// newStamper returns Store.stamps and the runs' names from listDir:
// fstatat is used on Linux only.
func (s *Store) newStamper() (func(run string) (runStamps, error), []string, func(), error) {
	return s.listAndStamp()
}
