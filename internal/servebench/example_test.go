package servebench_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/internal/servebench"
	"github.com/statstore/statstore/memstore"
)

func Example() {
	srv := httptest.NewServer(httpapi.NewServer(memstore.New(nil), httpapi.ServerOptions{}))
	defer srv.Close()
	res, err := servebench.Run(context.Background(), servebench.NewStatstore(srv.URL, ""), srv.URL,
		servebench.Config{Iterations: 5000, PerRequest: 1000, Reads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Target, res.Iterations, "iterations in", res.Requests, "requests")
	for _, r := range res.Reads {
		fmt.Println(r.Form, "read checked")
	}
	// Output:
	// statstore 5000 iterations in 5 requests
	// rows read checked
	// columns read checked
	// binary read checked
}
