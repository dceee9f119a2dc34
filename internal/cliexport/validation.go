package cliexport

import (
	"fmt"
	"io"
	"strconv"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// ValidationRow is the Parquet row of one score in long form.
type ValidationRow struct {
	Iteration  int64   `parquet:"iteration"`
	Dataset    string  `parquet:"dataset,dict"`
	Parameters string  `parquet:"parameters,dict"`
	Criterion  string  `parquet:"criterion,dict"`
	Value      float64 `parquet:"value"`
	// Superseded marks a checkpoint whose weights a resumed training
	// overwrote.
	Superseded bool `parquet:"superseded"`
}

// WriteValidation writes the validation scores of run to w in format f:
// long form for CSV and Parquet (a superseded column), DaCapo documents for
// JSON Lines ("superseded": true added to superseded checkpoints).
func WriteValidation(w io.Writer, f Format, run string, vs *statstore.ValidationScores) error {
	switch f {
	case CSV:
		return writeCSV(w, []string{"iteration", "dataset", "parameters", "criterion", "value", "superseded"}, func(emit func([]string) error) error {
			return eachScore(vs, func(r ValidationRow) error {
				return emit([]string{strconv.FormatInt(r.Iteration, 10), r.Dataset, r.Parameters, r.Criterion, csvFloat(r.Value), strconv.FormatBool(r.Superseded)})
			})
		})
	case JSONL:
		return writeJSONLines(w, run, len(vs.Scores), func(line []byte, i int) []byte {
			e := vs.Scores[i]
			line = append(line, `"iteration":`...)
			line = strconv.AppendInt(line, int64(e.Iteration), 10)
			line = append(line, `,"scores":[`...)
			for di, ds := range e.Scores {
				line = appendComma(line, di)
				line = append(line, '[')
				for pi, ps := range ds {
					line = appendComma(line, pi)
					line = append(line, '[')
					for ci, v := range ps {
						line = appendComma(line, ci)
						line = jsonnan.AppendFloat(line, v)
					}
					line = append(line, ']')
				}
				line = append(line, ']')
			}
			line = append(line, ']')
			if e.Superseded {
				line = append(line, `,"superseded":true`...)
			}
			return line
		})
	case Parquet:
		return writeParquet(w, func(emit func(ValidationRow) error) error {
			return eachScore(vs, emit)
		})
	}
	_, err := ParseFormat(string(f))
	return err
}

// eachScore calls emit for every score of vs in long form, in axis order;
// scores that do not fit the metadata are an error.
func eachScore(vs *statstore.ValidationScores, emit func(ValidationRow) error) error {
	params := vs.ParameterDisplayNames()
	crits := vs.Criteria()
	for _, e := range vs.Scores {
		for di, ds := range e.Scores {
			for pi, ps := range ds {
				for ci, v := range ps {
					if di >= len(vs.Datasets) || pi >= len(params) || ci >= len(crits) {
						return fmt.Errorf("scores of iteration %d do not fit the metadata: %w", e.Iteration, statstore.ErrShapeMismatch)
					}
					row := ValidationRow{Iteration: int64(e.Iteration), Dataset: vs.Datasets[di], Parameters: params[pi], Criterion: crits[ci], Value: v, Superseded: e.Superseded}
					if err := emit(row); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
