package cliexport

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"
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
}

// WriteValidation writes the validation scores of run to w in format f:
// long form for CSV and Parquet, DaCapo documents for JSON Lines.
func WriteValidation(w io.Writer, f Format, run string, vs *statstore.ValidationScores) error {
	params := vs.ParameterDisplayNames()
	crits := vs.Criteria()
	// each calls emit for every score in long form, in axis order.
	each := func(emit func(it int, d, p, c string, v float64) error) error {
		for _, e := range vs.Scores {
			for di, ds := range e.Scores {
				for pi, ps := range ds {
					for ci, v := range ps {
						if di >= len(vs.Datasets) || pi >= len(params) || ci >= len(crits) {
							return fmt.Errorf("scores of iteration %d do not fit the metadata: %w", e.Iteration, statstore.ErrShapeMismatch)
						}
						if err := emit(e.Iteration, vs.Datasets[di], params[pi], crits[ci], v); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	}
	switch f {
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"iteration", "dataset", "parameters", "criterion", "value"}); err != nil {
			return err
		}
		if err := each(func(it int, d, p, c string, v float64) error {
			return cw.Write([]string{strconv.Itoa(it), d, p, c, csvFloat(v)})
		}); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	case JSONL:
		bw := bufio.NewWriter(w)
		runJSON := quote(run)
		var line []byte
		for _, e := range vs.Scores {
			line = append(line[:0], `{"iteration":`...)
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
			line = append(line, `],"run_name":`...)
			line = append(line, runJSON...)
			line = append(line, "}\n"...)
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
		return bw.Flush()
	case Parquet:
		pw := parquet.NewGenericWriter[ValidationRow](w, parquet.Compression(&parquet.Snappy))
		const batch = 8192
		rows := make([]ValidationRow, 0, batch)
		flush := func() error {
			if len(rows) == 0 {
				return nil
			}
			_, err := pw.Write(rows)
			rows = rows[:0]
			return err
		}
		if err := each(func(it int, d, p, c string, v float64) error {
			rows = append(rows, ValidationRow{Iteration: int64(it), Dataset: d, Parameters: p, Criterion: c, Value: v})
			if len(rows) == batch {
				return flush()
			}
			return nil
		}); err != nil {
			return err
		}
		if err := flush(); err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
		if err := pw.Close(); err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
		return nil
	}
	_, err := ParseFormat(string(f))
	return err
}
