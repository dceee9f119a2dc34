package postgres

import (
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) statstore.StatsStore {
		s, _ := openStore(t, Options{})
		return s
	})
}

func TestModel(t *testing.T) {
	storetest.RunModel(t, func(t *testing.T) statstore.StatsStore {
		s, _ := openStore(t, Options{})
		return s
	}, storetest.ModelOptions{})
}

func TestTrashConformance(t *testing.T) {
	storetest.RunTrash(t, func(t *testing.T, now func() time.Time) statstore.StatsStore {
		s, _ := openStore(t, Options{Now: now})
		return s
	})
}

func TestRunMetaConformance(t *testing.T) {
	storetest.RunMeta(t, func(t *testing.T) statstore.StatsStore {
		s, _ := openStore(t, Options{})
		return s
	})
}
