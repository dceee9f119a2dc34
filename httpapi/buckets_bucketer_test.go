package httpapi

import (
	"context"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// countingBucketer is a memory store that counts its TrainingBuckets calls.
type countingBucketer struct {
	*memstore.Store
	calls int
}

func (c *countingBucketer) TrainingBuckets(ctx context.Context, run string, opts statstore.BucketOptions) ([]statstore.TrainingBucket, int, error) {
	c.calls++
	return c.Store.TrainingBuckets(ctx, run, opts)
}

// TestTrainingBucketsUsesStoreSummaries: the buckets route asks the
// store's TrainingBucketer (its kept summaries), not the history.
func TestTrainingBucketsUsesStoreSummaries(t *testing.T) {
	st := &countingBucketer{Store: memstore.New(nil)}
	ts := startServerOver(t, st, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()
	if err := c.StoreTrainingStats(ctx, "r", bucketHistory(3000)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.TrainingBuckets(ctx, "r", statstore.BucketOptions{Buckets: 50}); err != nil {
		t.Fatal(err)
	}
	if st.calls != 1 {
		t.Fatalf("the store's TrainingBuckets was called %d times, want 1", st.calls)
	}
}
