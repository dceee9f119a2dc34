package httpapi

import (
	"io"
	"mime"
	"net/http"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// TrainingColumnsMediaType is the Content-Type of the columnar training
// body, accepted by POST /api/v1/runs/{run}/training alongside the row
// form (application/json):
//
//	{"iteration": [0, 1, ...], "loss": [0.5, NaN, ...], "time": [0.1, 0.1, ...]}
//
// Three lists of one length, entry i made of their i-th elements; floats as
// in every body (numbers, "NaN", "Infinity", "-Infinity", or Python's bare
// tokens). A client encodes it several times faster than the rows (one
// list per field, no key per entry). A server that predates it answers 415,
// and the client falls back to the rows.
const TrainingColumnsMediaType = "application/vnd.statstore.training-columns+json"

const trainingColumnsShape = `{"iteration": [0, 1, ...], "loss": [0.5, 0.4, ...], "time": [0.1, 0.1, ...]} (lists of one length)`

// mediaType returns the request's media type, lower-cased, without parameters.
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// decodeTrainingColumnsFrom decodes a columnar training body as it is read
// into the stats of one StoreTrainingStats call, with the strictness of
// decodeTrainingFrom: unknown and duplicate keys, a missing list, lists of
// different lengths, iterations that are not integers and trailing data are
// errors.
func decodeTrainingColumnsFrom(rd io.Reader) (*statstore.TrainingStats, error) {
	d := jsontext.NewDecoder(jsonnan.NewReader(rd))
	var its []int
	var losses, times []float64
	var seen [3]bool
	floats := func(name string, dst *[]float64) error {
		return readArray(d, named(name), trainingColumnsShape, func(i int) error {
			f, err := readFloat(d, element(name, i))
			*dst = append(*dst, f)
			return err
		})
	}
	err := readObject(d, named("the body"), trainingColumnsShape, func(name string) error {
		switch name {
		case "iteration":
			seen[0] = true
			return readArray(d, named(name), trainingColumnsShape, func(i int) error {
				it, err := readIteration(d, element("iteration", i))
				its = append(its, it)
				return err
			})
		case "loss":
			seen[1] = true
			return floats(name, &losses)
		case "time":
			seen[2] = true
			return floats(name, &times)
		}
		return unknownKey(name, "the body", `"iteration", "loss", "time"`)
	})
	if err == nil {
		err = readEnd(d)
	}
	if err == nil {
		for i, k := range []string{"iteration", "loss", "time"} {
			if !seen[i] {
				err = decodeErrorf("the body has no %q list", k)
				break
			}
		}
	}
	if err == nil && (len(losses) != len(its) || len(times) != len(its)) {
		err = decodeErrorf("the lists have different lengths: %d iterations, %d losses, %d times", len(its), len(losses), len(times))
	}
	if err != nil {
		return nil, bodyError(err, trainingColumnsShape)
	}
	stats := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, len(its))}
	for i := range its {
		stats.IterationStats[i] = statstore.TrainingIterationStats{Iteration: its[i], Loss: losses[i], Time: times[i]}
	}
	return stats, nil
}
