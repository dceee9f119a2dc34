package memstore_test

import (
	"testing"
	"time"

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

func TestTrashConformance(t *testing.T) {
	storetest.RunTrash(t, func(t *testing.T, now func() time.Time) statstore.StatsStore {
		return memstore.NewWithClock(nil, now)
	})
}
