package cliexport

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// parquetBatch is how many rows are handed to the Parquet writer at once.
const parquetBatch = 8192

// writeCSV writes the header, then every record each emits.
func writeCSV(w io.Writer, header []string, each func(emit func(record []string) error) error) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := each(cw.Write); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// writeJSONLines writes n documents, one a line: {fields, "run_name": run},
// where appendFields appends document i's fields.
func writeJSONLines(w io.Writer, run string, n int, appendFields func(line []byte, i int) []byte) error {
	bw := bufio.NewWriter(w)
	runJSON := quote(run)
	var line []byte
	for i := range n {
		line = appendFields(append(line[:0], '{'), i)
		line = append(line, `,"run_name":`...)
		line = append(line, runJSON...)
		line = append(line, "}\n"...)
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeParquet writes every row each emits as a Snappy-compressed Parquet
// file whose schema is R's.
func writeParquet[R any](w io.Writer, each func(emit func(R) error) error) error {
	pw := parquet.NewGenericWriter[R](w, parquet.Compression(&parquet.Snappy))
	rows := make([]R, 0, parquetBatch)
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		_, err := pw.Write(rows)
		rows = rows[:0]
		if err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
		return nil
	}
	if err := each(func(r R) error {
		rows = append(rows, r)
		if len(rows) == parquetBatch {
			return flush()
		}
		return nil
	}); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	return nil
}

// csvFloat formats a float for CSV: the shortest round-tripping decimal, or
// NaN, inf, -inf.
func csvFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// quote returns s as a JSON string.
func quote(s string) []byte {
	b, err := json.Marshal(s)
	if err != nil { // a string always marshals; invalid UTF-8 is replaced
		return []byte(`""`)
	}
	return b
}

func appendComma(b []byte, i int) []byte {
	if i > 0 {
		return append(b, ',')
	}
	return b
}
