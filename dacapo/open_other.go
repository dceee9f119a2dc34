//go:build !unix

package dacapo

import "os"

// openNonBlocking opens path read-only. Without O_NONBLOCK the mode check
// before opening is what keeps special files out.
func openNonBlocking(path string) (*os.File, error) {
	return os.Open(path)
}
