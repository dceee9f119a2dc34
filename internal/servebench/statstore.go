package servebench

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
)

// Read forms of a statstore server (GET /api/v1/runs/{run}/training,
// chosen by Accept).
const (
	FormRows    = "rows"
	FormColumns = "columns"
	FormBinary  = "binary"
)

// statstoreAccept maps a read form to the Accept header that asks for it.
var statstoreAccept = map[string]string{
	FormRows:    "application/json",
	FormColumns: "application/vnd.statstore.training-columns+json",
	FormBinary:  "application/vnd.statstore.training+f64le",
}

// Statstore is a statstore server's HTTP API.
type Statstore struct{ c client }

// NewStatstore returns the target of the statstore server at base (its
// root URL), sending token as a bearer token when it is not empty.
func NewStatstore(base, token string) *Statstore { return &Statstore{c: newClient(base, token)} }

// Name returns "statstore".
func (*Statstore) Name() string { return "statstore" }

// Forms returns rows (the default), columns and binary.
func (*Statstore) Forms() []string { return []string{FormRows, FormColumns, FormBinary} }

// Send sends one encoded request.
func (s *Statstore) Send(ctx context.Context, r Request) error { return s.c.send(ctx, r) }

// CreateRun returns name: a statstore run exists from its first write.
func (*Statstore) CreateRun(_ context.Context, name string) (string, error) { return name, nil }

func (*Statstore) trainingPath(run string) string {
	return "/api/v1/runs/" + url.PathEscape(run) + "/training"
}

// EncodeAppend returns one POST of the n iterations as rows.
func (s *Statstore) EncodeAppend(run string, from, n int) []Request {
	b := make([]byte, 0, 64*n+32)
	b = append(b, `{"iteration_stats":[`...)
	for i := from; i < from+n; i++ {
		if i > from {
			b = append(b, ',')
		}
		b = append(b, `{"iteration":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"loss":`...)
		b = strconv.AppendFloat(b, loss(i), 'g', -1, 64)
		b = append(b, `,"time":`...)
		b = strconv.AppendFloat(b, stepTime(i), 'g', -1, 64)
		b = append(b, '}')
	}
	b = append(b, "]}"...)
	return []Request{{Method: "POST", Path: s.trainingPath(run), ContentType: "application/json", Body: b}}
}

// ReadAll reads the run's history in form and checks every iteration is
// there with the values written.
func (s *Statstore) ReadAll(ctx context.Context, run, form string) (int, int64, error) {
	accept, ok := statstoreAccept[form]
	if !ok {
		return 0, 0, fmt.Errorf("read form %q: want rows, columns or binary", form)
	}
	data, err := s.c.do(ctx, "GET", s.trainingPath(run), "", accept, nil)
	if err != nil {
		return 0, 0, err
	}
	var iters, losses []float64
	switch form {
	case FormRows:
		var doc struct {
			Stats []struct {
				Iteration int     `json:"iteration"`
				Loss      float64 `json:"loss"`
			} `json:"iteration_stats"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return 0, 0, fmt.Errorf("training rows of %s: %v: %w", run, err, ErrBadAnswer)
		}
		for _, e := range doc.Stats {
			iters, losses = append(iters, float64(e.Iteration)), append(losses, e.Loss)
		}
	case FormColumns:
		var doc struct {
			Iteration []float64 `json:"iteration"`
			Loss      []float64 `json:"loss"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return 0, 0, fmt.Errorf("training columns of %s: %v: %w", run, err, ErrBadAnswer)
		}
		iters, losses = doc.Iteration, doc.Loss
	case FormBinary:
		if iters, losses, err = decodeBinary(data); err != nil {
			return 0, 0, fmt.Errorf("binary training of %s: %w", run, err)
		}
	}
	if err := checkHistory(iters, losses); err != nil {
		return 0, 0, fmt.Errorf("training of %s (%s): %w", run, form, err)
	}
	return len(iters), int64(len(data)), nil
}

// decodeBinary reads the iteration and loss columns of a binary training
// answer ("SSTF", version, count, then three float64 columns).
func decodeBinary(data []byte) (iters, losses []float64, err error) {
	if len(data) < 16 || string(data[:4]) != "SSTF" {
		return nil, nil, fmt.Errorf("no SSTF header: %w", ErrBadAnswer)
	}
	n := binary.LittleEndian.Uint64(data[8:16])
	if n > uint64(len(data)-16)/24 || uint64(len(data)-16) != 24*n {
		return nil, nil, fmt.Errorf("%d bytes of columns for %d entries: %w", len(data)-16, n, ErrBadAnswer)
	}
	col := func(k int) []float64 {
		out := make([]float64, n)
		off := 16 + k*int(n)*8
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[off+8*i:]))
		}
		return out
	}
	return col(0), col(1), nil
}

// checkHistory reports a history that is not iterations 0, 1, … with the
// losses written.
func checkHistory(iters, losses []float64) error {
	if len(iters) != len(losses) {
		return fmt.Errorf("%d iterations but %d losses: %w", len(iters), len(losses), ErrBadAnswer)
	}
	for i, it := range iters {
		if it != float64(i) || losses[i] != loss(i) {
			return fmt.Errorf("entry %d is iteration %v loss %v, want %d and %v: %w", i, it, losses[i], i, loss(i), ErrBadAnswer)
		}
	}
	return nil
}
