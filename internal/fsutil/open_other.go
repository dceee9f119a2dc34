//go:build !unix

package fsutil

// NonBlock is zero where opening a named pipe cannot be kept from
// blocking by a flag.
const NonBlock = 0

// NoFollow is zero where opening cannot refuse a symbolic link by a flag;
// callers check the file they opened.
const NoFollow = 0
