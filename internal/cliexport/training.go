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

// TrainingRow is the Parquet row of one training iteration.
type TrainingRow struct {
	Iteration int64   `parquet:"iteration"`
	Loss      float64 `parquet:"loss"`
	Time      float64 `parquet:"time"`
}

// WriteTraining writes the training entries of run to w in format f.
func WriteTraining(w io.Writer, f Format, run string, stats []statstore.TrainingIterationStats) error {
	switch f {
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"iteration", "loss", "time"}); err != nil {
			return err
		}
		for _, s := range stats {
			if err := cw.Write([]string{strconv.Itoa(s.Iteration), csvFloat(s.Loss), csvFloat(s.Time)}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case JSONL:
		bw := bufio.NewWriter(w)
		runJSON := quote(run)
		var line []byte
		for _, s := range stats {
			line = append(line[:0], `{"iteration":`...)
			line = strconv.AppendInt(line, int64(s.Iteration), 10)
			line = append(line, `,"loss":`...)
			line = jsonnan.AppendFloat(line, s.Loss)
			line = append(line, `,"time":`...)
			line = jsonnan.AppendFloat(line, s.Time)
			line = append(line, `,"run_name":`...)
			line = append(line, runJSON...)
			line = append(line, "}\n"...)
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
		return bw.Flush()
	case Parquet:
		pw := parquet.NewGenericWriter[TrainingRow](w, parquet.Compression(&parquet.Snappy))
		const batch = 8192
		rows := make([]TrainingRow, 0, batch)
		for i, s := range stats {
			rows = append(rows, TrainingRow{Iteration: int64(s.Iteration), Loss: s.Loss, Time: s.Time})
			if len(rows) == batch || i == len(stats)-1 {
				if _, err := pw.Write(rows); err != nil {
					return fmt.Errorf("write parquet: %w", err)
				}
				rows = rows[:0]
			}
		}
		if err := pw.Close(); err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
		return nil
	}
	_, err := ParseFormat(string(f))
	return err
}
