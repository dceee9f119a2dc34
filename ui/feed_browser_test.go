package ui

import (
	"context"
	"fmt"
	"testing"

	"github.com/statstore/statstore/httpapi"
)

// TestDashboardFollowsTheStore: the runs list and the compare view update
// live from writes made to the store directly (not through the server: a
// trainer writing the store), through the store's change feed, without
// polling.
func TestDashboardFollowsTheStore(t *testing.T) {
	d := startDashboard(t, httpapi.ServerOptions{})
	ctx := context.Background()

	d.open("#/")
	d.waitFor(`document.querySelectorAll('#runs-table tbody tr').length === 3`)
	const newRun = "live_trainer"
	if err := d.store.StoreTrainingStats(ctx, newRun, fixtureTraining(t, 0, 1_000, 1_000, 7)); err != nil {
		t.Fatal(err)
	}
	d.waitFor(fmt.Sprintf(`document.querySelector('#runs-table tr[data-run=%q]') !== null`, newRun))
	trained := fmt.Sprintf(`document.querySelector('#runs-table tr[data-run=%q] [data-field="trained_until"]')?.textContent`, newRun)
	var before string
	eval(d, trained, &before)
	if err := d.store.StoreTrainingStats(ctx, newRun, fixtureTraining(t, 0, 2_500, 1_000, 7)); err != nil {
		t.Fatal(err)
	}
	d.waitFor(fmt.Sprintf(`(%s || '') !== %q && (%s || '').replace(/\D/g, '') === '2500'`, trained, before, trained))

	d.open(fmt.Sprintf("#/compare?run=%s&run=%s", smallRun, newRun))
	d.waitFor(`document.querySelectorAll('#compare-table tbody tr').length === 2`)
	cell := fmt.Sprintf(`document.querySelector('#compare-table tr[data-run=%q] td:nth-child(2)')?.textContent`, smallRun)
	d.waitFor(fmt.Sprintf(`(%s || '').replace(/\D/g, '') === '20000'`, cell))
	if err := d.store.StoreTrainingStats(ctx, smallRun, fixtureTraining(t, 0, 21_000, 20_000, 2)); err != nil {
		t.Fatal(err)
	}
	d.waitFor(fmt.Sprintf(`(%s || '').replace(/\D/g, '') === '21000'`, cell))
	d.screenshot("compare-live")
}
