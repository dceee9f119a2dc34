//go:build !unix

package fsutil

// NonBlock is zero where opening a named pipe cannot be kept from
// blocking by a flag.
const NonBlock = 0
