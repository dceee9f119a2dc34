package httpapi

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/statstore/statstore"
)

// TrainingBinaryMediaType is the Accept type of the binary training
// answer of GET /api/v1/runs/{run}/training (a whole history or a range,
// not a subsample): a 16-byte header, "SSTF", version 1 (uint32), the
// number of entries n (uint64), then n iterations, n losses and n times,
// each a little-endian float64 (iterations are integers below 2^53, so
// exact). A browser reads the three columns as Float64Arrays without
// parsing; NaN and ±Inf are themselves.
const TrainingBinaryMediaType = "application/vnd.statstore.training+f64le"

// binaryMagic and binaryVersion open a binary training answer.
const (
	binaryMagic   = "SSTF"
	binaryVersion = 1
	binaryHeader  = 16
)

// trainingForm is how a training answer is written.
type trainingForm int

const (
	formRows    trainingForm = iota // {"run", "iteration_stats": [{...}, ...]} (the default)
	formColumns                     // {"run", "iteration": [...], "loss": [...], "time": [...]}
	formBinary                      // TrainingBinaryMediaType
)

// negotiateTraining picks the training answer's form from the Accept
// header: the first of the compact forms it lists, else the rows. The
// binary form is not offered for subsamples (their non-finite report is
// JSON): they get the columns instead.
func negotiateTraining(r *http.Request, subsample bool) trainingForm {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch strings.ToLower(mt) {
		case TrainingBinaryMediaType:
			if !subsample {
				return formBinary
			}
			return formColumns
		case TrainingColumnsMediaType:
			return formColumns
		}
	}
	return formRows
}

// appendTrainingBinary appends entries in the binary form.
func appendTrainingBinary(dst []byte, entries []statstore.TrainingIterationStats) []byte {
	n := len(entries)
	dst = append(dst, binaryMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, binaryVersion)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(n))
	for _, e := range entries {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(float64(e.Iteration)))
	}
	for _, e := range entries {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(e.Loss))
	}
	for _, e := range entries {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(e.Time))
	}
	return dst
}

// decodeTrainingBinary decodes the binary form into a history, with the
// strictness of the JSON decoders: the exact length, integral iterations
// in [0, MaxIteration], strictly increasing.
func decodeTrainingBinary(data []byte) (*statstore.TrainingStats, error) {
	if len(data) < binaryHeader || string(data[:4]) != binaryMagic {
		return nil, fmt.Errorf("not a binary training answer (want %q and a %d-byte header): %w", binaryMagic, binaryHeader, statstore.ErrInvalidArgument)
	}
	if v := binary.LittleEndian.Uint32(data[4:8]); v != binaryVersion {
		return nil, fmt.Errorf("binary training answer version %d, want %d: %w", v, binaryVersion, statstore.ErrInvalidArgument)
	}
	n := binary.LittleEndian.Uint64(data[8:16])
	body := data[binaryHeader:]
	if n > uint64(len(body))/24 || uint64(len(body)) != 24*n {
		return nil, fmt.Errorf("binary training answer of %d entries holds %d bytes, want %d: %w", n, len(body), 24*n, statstore.ErrInvalidArgument)
	}
	f := func(col int, i uint64) float64 {
		return math.Float64frombits(binary.LittleEndian.Uint64(body[8*(uint64(col)*n+i):]))
	}
	entries := make([]statstore.TrainingIterationStats, n)
	for i := range n {
		it := f(0, i)
		if it != math.Trunc(it) || math.Signbit(it) || it > statstore.MaxIteration {
			return nil, fmt.Errorf("binary training answer: entry %d has iteration %v, want an integer in [0, %d]: %w", i, it, int64(statstore.MaxIteration), statstore.ErrInvalidArgument)
		}
		entries[i] = statstore.TrainingIterationStats{Iteration: int(it), Loss: f(1, i), Time: f(2, i)}
	}
	return statstore.NewTrainingStats(entries...)
}

// appendTrainingColumns appends {"run", "iteration": [...], "loss":
// [...], "time": [...]} without the closing brace (non_finite may follow).
func appendTrainingColumns(dst []byte, run string, entries []statstore.TrainingIterationStats, exact bool) []byte {
	name, _ := json.Marshal(run) // strings always marshal
	dst = append(dst, `{"run":`...)
	dst = append(dst, name...)
	dst = append(dst, `,"iteration":[`...)
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, int64(e.Iteration), 10)
	}
	dst = append(dst, `],"loss":[`...)
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendFloat(dst, e.Loss, exact)
	}
	dst = append(dst, `],"time":[`...)
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendFloat(dst, e.Time, exact)
	}
	return append(dst, ']')
}

// writeTrainingCompact writes a training answer in a compact form.
func (s *Server) writeTrainingCompact(w http.ResponseWriter, form trainingForm, run string, entries []statstore.TrainingIterationStats, report *statstore.TrainingSubsample, exact bool) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "Accept")
	var body []byte
	if form == formBinary {
		w.Header().Set("Content-Type", TrainingBinaryMediaType)
		body = appendTrainingBinary(make([]byte, 0, binaryHeader+24*len(entries)), entries)
	} else {
		w.Header().Set("Content-Type", TrainingColumnsMediaType)
		body = appendTrainingColumns(make([]byte, 0, 64+40*len(entries)), run, entries, exact)
		if report != nil {
			body = append(body, `,"non_finite":`...)
			body = appendNonFinite(body, report)
		}
		body = append(body, "}\n"...)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // a client that left: nothing more to say
}
