package postgres

import (
	"testing"

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
