package memstore_test

import (
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

func open(t *testing.T) statstore.StatsStore {
	return memstore.New(nil)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

func TestModel(t *testing.T) {
	storetest.RunModel(t, open, storetest.ModelOptions{})
}
