package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/memstore"
)

// The Go client is itself a statstore.StatsStore: code written against the
// interface works the same on a remote server. The server refuses a
// cross-site form post (a web page the user visits cannot write).
func ExampleNewClient() {
	ctx := context.Background()
	srv := httptest.NewServer(httpapi.NewServer(memstore.New(nil), httpapi.ServerOptions{}))
	defer srv.Close()
	c, err := httpapi.NewClient(srv.URL, httpapi.ClientOptions{})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	var stats statstore.TrainingStats
	for i := range 3 {
		_ = stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.1})
	}
	if err := c.StoreTrainingStats(ctx, "run", &stats); err != nil {
		panic(err)
	}
	back, err := c.RetrieveTrainingStats(ctx, "run")
	fmt.Println(back.Len(), back.TrainedUntil(), err)

	// Appending an iteration the stored history already has is refused
	// with the same sentinel error as a local store's.
	err = c.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 1}, {Iteration: 1}}})
	fmt.Println(errors.Is(err, statstore.ErrOutOfOrder))

	resp, err := http.Post(srv.URL+"/api/v1/runs/run/training", "text/plain", strings.NewReader(`{}`))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 3 3 <nil>
	// true
	// 415
}

// Tags and configuration over HTTP: the client is a statstore.RunMetaStore.
func ExampleClient_SetRunTags() {
	ctx := context.Background()
	srv := httptest.NewServer(httpapi.NewServer(memstore.New(nil), httpapi.ServerOptions{}))
	defer srv.Close()
	c, err := httpapi.NewClient(srv.URL, httpapi.ClientOptions{})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	_ = c.SetRunTags(ctx, "run", map[string]string{"architecture": "unet", "seed": "1"}, nil)
	_ = c.SetRunTags(ctx, "run", nil, []string{"seed"})
	_ = c.SetRunConfig(ctx, "run", []byte(`{"lr": 0.001}`))
	m, err := c.RetrieveRunMeta(ctx, "run")
	fmt.Println(m.Tags, string(m.Config), err)
	err = c.SetRunTags(ctx, "run", map[string]string{"bad key": "x"}, nil)
	fmt.Println(errors.Is(err, statstore.ErrInvalidArgument))
	// Output:
	// map[architecture:unet] {"lr":0.001} <nil>
	// true
}
