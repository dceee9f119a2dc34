package main

import (
	"fmt"
	"io"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
)

// presetList lists the presets --preset accepts.
func presetList() string {
	return "binary_segmentation, instance, dummy, multi_channel_binary_segmentation:<ch1>,<ch2>,..."
}

// unknownDirectionError is the refusal of a best report of criteria whose
// direction is unknown (err, from statstore.Metadata.CheckDirections): it
// says why nothing names them and how to name them, which depends on
// where the scores come from. Exit status 2: the command line lacks what
// it needs.
func unknownDirectionError(s statstore.StatsStore, run string, m statstore.Metadata, err error) error {
	msg := fmt.Sprintf("run %q: %v", run, err)
	hint := fmt.Sprintf("name the criteria with --meta FILE (or --preset NAME: %s, when reading a DaCapo directory)", presetList())
	if ds, ok := s.(*dacapo.Store); ok {
		if _, ierr := dacapo.InferPreset(len(m.EvaluationScores)); ierr != nil {
			msg = fmt.Sprintf("run %q: DaCapo stores no criteria, and these cannot be inferred: %v", run, ierr)
		}
		hint = fmt.Sprintf("name them with --preset NAME (%s) or --meta FILE, or once for this directory: statstore dacapo describe %s --preset NAME [--datasets A,B] [--parameters threshold=0.3,0.5] [--run %s]",
			presetList(), ds.Dir(), run)
	} else {
		hint = "these scores were stored without naming their criteria (imported from DaCapo without --preset or --meta): delete the run's validation scores (statstore delete RUN --validation) and import them again with --preset NAME or --meta FILE"
	}
	return &userError{msg: msg, hint: hint, code: exitUsage, err: err}
}

// inferredPreset returns the preset whose criteria the DaCapo store s
// inferred from their count for run's scores with n criteria ("" when s is
// no DaCapo directory or something named the criteria).
func inferredPreset(s statstore.StatsStore, run string, n int) string {
	ds, ok := s.(*dacapo.Store)
	if !ok {
		return ""
	}
	p, _ := ds.InferredPreset(run, n)
	return p
}

// inferredNote says, beside what a command prints of run, that its
// criteria (and so which values are better) were inferred from their
// count (nothing when preset is "").
func inferredNote(w io.Writer, run, preset string, n int) {
	if preset == "" {
		return
	}
	fmt.Fprintf(w, "statstore: %s: criteria inferred from their count (%d): %s (DaCapo stores none); name them with --preset or --meta, or once with statstore dacapo describe DIR, to be sure\n",
		run, n, preset)
}
