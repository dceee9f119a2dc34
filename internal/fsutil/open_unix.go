//go:build unix

package fsutil

import "syscall"

// NonBlock is the open flag that keeps opening a named pipe (or a device)
// from blocking: a file store opens what stands in its directories with it,
// then refuses anything but a regular file. It does not change how regular
// files are read or written.
const NonBlock = syscall.O_NONBLOCK

// NoFollow is the open flag that makes opening a symbolic link fail
// instead of opening what it points to: a file rewritten in place must be
// the file at its path, never one a link elsewhere names.
const NoFollow = syscall.O_NOFOLLOW
