package dirwatch

import "testing"

func TestNetworkFS(t *testing.T) {
	if networkFS(0x6969) != "nfs" || networkFS(0x0BD00BD0) != "lustre" || networkFS(0xEF53) != "" {
		t.Error("nfs and lustre are network file systems, ext4 is not")
	}
}
