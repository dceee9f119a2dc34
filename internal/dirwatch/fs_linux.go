package dirwatch

import "golang.org/x/sys/unix"

// networkFS names the file system of a statfs magic number when its clients
// are not notified of other machines' writes ("" otherwise).
func networkFS(magic int64) string {
	switch magic {
	case 0x6969:
		return "nfs"
	case 0x0BD00BD0:
		return "lustre"
	case 0xFF534D42:
		return "cifs"
	case 0xFE534D42:
		return "smb2"
	case 0x517B:
		return "smb"
	case 0x65735546:
		return "fuse"
	case 0x01021997:
		return "9p"
	case 0x47504653:
		return "gpfs"
	case 0x00C36400:
		return "ceph"
	case 0x19830326:
		return "beegfs"
	case 0x5346414F:
		return "afs"
	}
	return ""
}

// fileSystem tells dir's file system type when it is a network or cluster
// one.
func fileSystem(dir string) (name string, network bool) {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return "", false
	}
	name = networkFS(int64(st.Type))
	return name, name != ""
}
