package cliexport

import (
	"io"
	"strconv"

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
		return writeCSV(w, []string{"iteration", "loss", "time"}, func(emit func([]string) error) error {
			for _, s := range stats {
				if err := emit([]string{strconv.Itoa(s.Iteration), csvFloat(s.Loss), csvFloat(s.Time)}); err != nil {
					return err
				}
			}
			return nil
		})
	case JSONL:
		return writeJSONLines(w, run, len(stats), func(line []byte, i int) []byte {
			s := stats[i]
			line = append(line, `"iteration":`...)
			line = strconv.AppendInt(line, int64(s.Iteration), 10)
			line = append(line, `,"loss":`...)
			line = jsonnan.AppendFloat(line, s.Loss)
			line = append(line, `,"time":`...)
			return jsonnan.AppendFloat(line, s.Time)
		})
	case Parquet:
		return writeParquet(w, func(emit func(TrainingRow) error) error {
			for _, s := range stats {
				if err := emit(TrainingRow{Iteration: int64(s.Iteration), Loss: s.Loss, Time: s.Time}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	_, err := ParseFormat(string(f))
	return err
}
