package eventhub_test

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/eventhub"
)

func Example() {
	h := eventhub.New(2)
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := h.Subscribe(ctx, statstore.WatchFilter{Runs: []string{"a"}})
	if err != nil {
		panic(err)
	}
	h.Publish(statstore.Event{Kind: statstore.EventTrainingAppended, Run: "b", To: 5}) // filtered out
	h.Publish(statstore.Event{Kind: statstore.EventTrainingAppended, Run: "a", To: 10})
	ev := <-ch
	fmt.Println(ev.Seq, ev.Kind, ev.Run, ev.To)
	// Output: 1 training_appended a 10
}
