package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/eventhub"
)

// eventChannel is the NOTIFY channel of the store's events, followed by
// ":" and the schema the store lives in (channels are per database, schemas
// are not).
const eventChannel = "statstore_events"

// Reconnection delays of the listener.
const (
	minReconnect = 50 * time.Millisecond
	maxReconnect = 2 * time.Second
)

var _ statstore.Watcher = (*Store)(nil)

// listener is the Store's LISTEN connection for Watch: it starts with the
// first Watch call and ends with Close.
type listener struct {
	mu     sync.Mutex
	hub    *eventhub.Hub
	cancel context.CancelFunc
	done   chan struct{}
}

// notification is the payload of one NOTIFY: the events of one writing
// transaction, under one random id.
type notification struct {
	ID     string        `json:"id"`
	Events []notifyEvent `json:"events"`
}

type notifyEvent struct {
	Kind statstore.EventKind `json:"kind"`
	Run  string              `json:"run"`
	From int                 `json:"from,omitempty"`
	To   int                 `json:"to,omitempty"`
}

// notify sends evs to every listener of the database when tx commits (and
// never if it does not): the NOTIFY is part of the writing transaction.
func notify(ctx context.Context, tx pgx.Tx, evs ...statstore.Event) error {
	if len(evs) == 0 {
		return nil
	}
	payload, err := notificationPayload(evs)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, notifySQL, payload); err != nil {
		return fmt.Errorf("notify the change: %w", err)
	}
	return nil
}

// notifySQL sends the payload $1 on the schema's event channel.
const notifySQL = "SELECT pg_notify('" + eventChannel + ":' || current_schema(), $1)"

// notificationPayload encodes the events of one transaction, with an id
// every replica sees alike.
func notificationPayload(evs []statstore.Event) (string, error) {
	var id [12]byte
	rand.Read(id[:]) // never fails (crypto/rand panics rather)
	n := notification{ID: hex.EncodeToString(id[:])}
	for _, ev := range evs {
		n.Events = append(n.Events, notifyEvent{Kind: ev.Kind, Run: ev.Run, From: ev.From, To: ev.To})
	}
	payload, err := json.Marshal(n)
	if err != nil {
		return "", fmt.Errorf("encode the change notification: %w", err)
	}
	return string(payload), nil
}

// created returns a run_created event when was (the run's row before the
// write) held nothing.
func created(run string, was runRow) []statstore.Event {
	if was.TrainingCount == 0 && was.ValidationCount == 0 {
		return []statstore.Event{{Kind: statstore.EventRunCreated, Run: run}}
	}
	return nil
}

// gone returns a run_deleted event when r (the run's row after the write)
// holds nothing.
func gone(run string, r runRow) []statstore.Event {
	if r.TrainingCount == 0 && r.ValidationCount == 0 {
		return []statstore.Event{{Kind: statstore.EventRunDeleted, Run: run}}
	}
	return nil
}

// trainingEvents returns the events of a training write planned as plan,
// from the row was to the row r.
func trainingEvents(run string, was, r runRow, plan statstore.TrainingPlan) []statstore.Event {
	if plan.Action == statstore.WriteNothing {
		return nil
	}
	kind := statstore.EventTrainingAppended
	if plan.Action == statstore.WriteReplace {
		kind = statstore.EventTrainingReplaced
	}
	return append(created(run, was), statstore.Event{Kind: kind, Run: run, From: plan.Entries[0].Iteration, To: int(r.TrainedUntil)})
}

// mergeEvents returns the events of a validation merge.
func mergeEvents(run string, was runRow, m statstore.ValidationMerge) []statstore.Event {
	ev, ok := statstore.MergeEvent(run, m)
	if !ok {
		return nil
	}
	return append(created(run, was), ev)
}

// Watch returns the changes of the database's runs from now on, made by
// any process writing it (see statstore.Watcher): each writing transaction
// sends its events with NOTIFY as it commits, and the Store's listening
// connection (opened by the first Watch, closed by Close) receives them.
// When that connection is lost the listener reconnects and sends
// statstore.EventResync, as events may have been missed meanwhile. Every
// event carries the ID of its transaction's notification (the same on every
// process), so that clients of several servers can drop duplicates.
func (s *Store) Watch(ctx context.Context, filter statstore.WatchFilter) (<-chan statstore.Event, error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("postgres: watch: %w", statstore.ErrClosed)
	}
	l := &s.listen
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hub == nil {
		if err := s.startListening(ctx); err != nil {
			return nil, err
		}
	}
	ch, err := l.hub.Subscribe(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ch, nil
}

// startListening opens the listening connection and starts its goroutine.
// The caller holds s.listen.mu.
func (s *Store) startListening(ctx context.Context) error {
	conn, err := s.listenConn(ctx)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(context.Background())
	l := &s.listen
	l.hub, l.cancel, l.done = eventhub.New(0), cancel, make(chan struct{})
	go s.listenLoop(lctx, conn)
	return nil
}

// listenConn connects and runs LISTEN.
func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, unavailableError("watch", "cannot connect to PostgreSQL to listen for changes", err)
	}
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		conn.Close(context.Background())
		return nil, wrapError("watch: find the schema", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{eventChannel + ":" + schema}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, wrapError("watch: listen", err)
	}
	return conn, nil
}

// listenLoop publishes the notifications conn receives; when conn breaks,
// it reconnects (with growing delays) and publishes a resync once it
// listens again. It ends when ctx is done.
func (s *Store) listenLoop(ctx context.Context, conn *pgx.Conn) {
	l := &s.listen
	defer close(l.done)
	delay := minReconnect
	for {
		for conn != nil {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				conn.Close(context.Background())
				conn = nil
				if ctx.Err() != nil {
					return
				}
				s.log.Warn("watch: lost the listening connection to PostgreSQL; reconnecting", "err", err)
				break
			}
			s.publishNotification(n.Payload)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		c, err := s.listenConn(ctx)
		if err != nil {
			delay = min(2*delay, maxReconnect)
			continue
		}
		conn, delay = c, minReconnect
		s.log.Info("watch: listening to PostgreSQL again; readers resync")
		l.hub.Publish(statstore.Event{Kind: statstore.EventResync})
	}
}

// publishNotification publishes the events of one NOTIFY payload; a
// payload it cannot read (another program's) becomes a resync.
func (s *Store) publishNotification(payload string) {
	evs, err := decodeNotification(payload)
	if err != nil {
		s.log.Warn("watch: unreadable change notification; readers resync", "err", err)
		s.listen.hub.Publish(statstore.Event{Kind: statstore.EventResync})
		return
	}
	for _, ev := range evs {
		s.listen.hub.Publish(ev)
	}
}

// decodeNotification decodes one NOTIFY payload: its events, each with the
// payload's id and its index as ID.
func decodeNotification(payload string) ([]statstore.Event, error) {
	var n notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return nil, fmt.Errorf("decode the change notification: %w", err)
	}
	if n.ID == "" {
		return nil, fmt.Errorf("change notification without an id: %w", statstore.ErrInvalidArgument)
	}
	out := make([]statstore.Event, 0, len(n.Events))
	for i, ev := range n.Events {
		if err := statstore.ValidateRunName(ev.Run); err != nil {
			return nil, fmt.Errorf("change notification, event %d: %w", i, err)
		}
		switch ev.Kind {
		case statstore.EventRunCreated, statstore.EventRunDeleted, statstore.EventTrainingAppended, statstore.EventTrainingReplaced,
			statstore.EventValidationMerged, statstore.EventMetaChanged:
		default:
			return nil, fmt.Errorf("change notification, event %d: unknown kind %q: %w", i, ev.Kind, statstore.ErrInvalidArgument)
		}
		out = append(out, statstore.Event{Kind: ev.Kind, Run: ev.Run, From: ev.From, To: ev.To, ID: fmt.Sprintf("%s.%d", n.ID, i)})
	}
	return out, nil
}

// stopListening ends the listener, if any, and its subscriptions.
func (s *Store) stopListening() {
	l := &s.listen
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel == nil {
		return
	}
	l.cancel()
	<-l.done
	l.hub.Close()
	l.cancel = nil
}

// restoredEvents returns the events of a run restored from the trash.
func restoredEvents(run string, r runRow) []statstore.Event {
	evs := []statstore.Event{{Kind: statstore.EventRunCreated, Run: run}}
	if r.TrainingCount > 0 {
		evs = append(evs, statstore.Event{Kind: statstore.EventTrainingReplaced, Run: run, To: int(r.TrainedUntil)})
	}
	if r.ValidationCount > 0 {
		evs = append(evs, statstore.Event{Kind: statstore.EventValidationMerged, Run: run})
	}
	return evs
}
