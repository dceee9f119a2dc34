//go:build !linux

package dirwatch

// fileSystem cannot tell the file system type outside Linux: kernel
// notifications are tried (and Auto polls if they cannot be set up).
func fileSystem(string) (name string, network bool) { return "", false }
