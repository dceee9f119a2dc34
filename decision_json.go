package statstore

import "encoding/json"

// The JSON forms of the decision reports: the one shape `statstore keep
// --json`, `grid --json` and `best --select-on --json` print and the HTTP
// API answers (docs/api.md). Non-finite numbers are the strings "NaN",
// "Infinity" and "-Infinity", as in best reports.

type retentionJSON struct {
	Run                     string         `json:"run,omitempty"`
	Criteria                []string       `json:"criteria"`
	AllCriteria             bool           `json:"all_criteria"`
	Superseded              int            `json:"superseded_left_out"`
	Kept                    int            `json:"kept"`
	Prunable                int            `json:"prunable"`
	FreesBytes              *int64         `json:"frees_bytes,omitempty"`
	ValidatedWithoutWeights []int          `json:"validated_without_weights,omitempty"`
	Checkpoints             []decisionJSON `json:"checkpoints"`
}

type decisionJSON struct {
	Iteration int          `json:"iteration"`
	Keep      bool         `json:"keep"`
	Bytes     *int64       `json:"bytes,omitempty"`
	Reasons   []reasonJSON `json:"reasons"`
}

type reasonJSON struct {
	Kind        string     `json:"kind"`
	Dataset     string     `json:"dataset,omitempty"`
	Criterion   string     `json:"criterion,omitempty"`
	Rank        int        `json:"rank,omitempty"`
	ParameterID *int       `json:"parameter_id,omitempty"`
	Parameters  string     `json:"parameters,omitempty"`
	Value       *bestValue `json:"value,omitempty"`
	Text        string     `json:"text"`
}

// MarshalJSON writes the plan as
//
//	{"run", "criteria", "all_criteria", "superseded_left_out", "kept",
//	 "prunable", "frees_bytes", "validated_without_weights",
//	 "checkpoints": [{"iteration", "keep", "bytes", "reasons": [{"kind",
//	   "dataset", "criterion", "rank", "parameter_id", "parameters",
//	   "value", "text"}]}]}
//
// leaving out run when it is empty, sizes when they are unknown, and the
// fields a reason kind does not have; kind is ReasonKind.String.
func (p RetentionPlan) MarshalJSON() ([]byte, error) {
	w := retentionJSON{Run: p.Run, Criteria: p.Criteria, AllCriteria: p.AllCriteria, Superseded: p.Superseded,
		ValidatedWithoutWeights: p.ValidatedWithoutWeights, Checkpoints: make([]decisionJSON, 0, len(p.Checkpoints))}
	if w.Criteria == nil {
		w.Criteria = []string{}
	}
	if p.FreesBytes >= 0 {
		w.FreesBytes = &p.FreesBytes
	}
	for _, d := range p.Checkpoints {
		dj := decisionJSON{Iteration: d.Iteration, Keep: d.Keep, Reasons: make([]reasonJSON, 0, len(d.Reasons))}
		if d.Keep {
			w.Kept++
		} else {
			w.Prunable++
		}
		if d.Bytes >= 0 {
			n := d.Bytes
			dj.Bytes = &n
		}
		for _, r := range d.Reasons {
			rj := reasonJSON{Kind: r.Kind.String(), Dataset: r.Dataset, Criterion: r.Criterion, Text: r.String()}
			switch r.Kind {
			case ReasonBest, ReasonBestMean, ReasonTop:
				id, v := r.ParameterID, bestValue(r.Value)
				rj.Rank, rj.ParameterID, rj.Parameters, rj.Value = r.Rank, &id, r.Parameters, &v
			case ReasonLast:
				rj.Rank = r.Rank
			}
			dj.Reasons = append(dj.Reasons, rj)
		}
		w.Checkpoints = append(w.Checkpoints, dj)
	}
	return json.Marshal(w)
}

type gridJSON struct {
	Dataset        string         `json:"dataset"`
	Criterion      string         `json:"criterion"`
	HigherIsBetter bool           `json:"higher_is_better"`
	Iterations     []int          `json:"iterations"`
	Parameters     []ParameterSet `json:"parameters"`
	Axis           string         `json:"axis,omitempty"`
	AxisValues     []any          `json:"axis_values,omitempty"`
	Values         [][]bestValue  `json:"values"`
	Best           []int          `json:"best"`
	BestChanges    int            `json:"best_changes"`
	Steps          int            `json:"steps"`
	BestChangeRate bestValue      `json:"best_change_rate"`
	Fixed          int            `json:"fixed"`
	Regret         []bestValue    `json:"regret"`
	MaxRegret      bestValue      `json:"max_regret"`
	MeanRegret     bestValue      `json:"mean_regret"`
	Epsilon        bestValue      `json:"epsilon"`
	Width          []int          `json:"width"`
	Superseded     int            `json:"superseded_left_out"`
}

// MarshalJSON writes the grid with its fields in snake case: "values"
// [checkpoint][parameter set], "best" (index per checkpoint, -1 when all
// NaN), "best_changes", "steps", "best_change_rate", "fixed" (index of the
// best-on-average set, -1 when none), "regret", "max_regret",
// "mean_regret", "epsilon", "width", "axis" and "axis_values" (left out
// when no single value varies), "superseded_left_out".
func (g Grid) MarshalJSON() ([]byte, error) {
	floats := func(xs []float64) []bestValue {
		out := make([]bestValue, len(xs))
		for i, x := range xs {
			out[i] = bestValue(x)
		}
		return out
	}
	values := make([][]bestValue, len(g.Values))
	for i, row := range g.Values {
		values[i] = floats(row)
	}
	return json.Marshal(gridJSON{Dataset: g.Dataset, Criterion: g.Criterion, HigherIsBetter: g.HigherIsBetter,
		Iterations: nonNil(g.Iterations), Parameters: nonNil(g.Parameters), Axis: g.Axis, AxisValues: g.AxisValues, Values: values,
		Best: nonNil(g.Best), BestChanges: g.BestChanges, Steps: g.Steps, BestChangeRate: bestValue(g.BestChangeRate),
		Fixed: g.Fixed, Regret: floats(g.Regret), MaxRegret: bestValue(g.MaxRegret), MeanRegret: bestValue(g.MeanRegret),
		Epsilon: bestValue(g.Epsilon), Width: nonNil(g.Width), Superseded: g.Superseded})
}

type selectionJSON struct {
	Dataset     string              `json:"dataset"`
	Criterion   string              `json:"criterion"`
	HeldOut     []string            `json:"held_out"`
	Iteration   int                 `json:"iteration"`
	ParameterID int                 `json:"parameter_id"`
	Parameters  string              `json:"parameters"`
	Value       bestValue           `json:"value"`
	Superseded  int                 `json:"superseded_left_out"`
	Lines       []selectionLineJSON `json:"lines"`
}

type selectionLineJSON struct {
	Dataset        string    `json:"dataset"`
	Criterion      string    `json:"criterion"`
	HigherIsBetter bool      `json:"higher_is_better"`
	HeldOut        bool      `json:"held_out"`
	Value          bestValue `json:"value"`
	Best           Best      `json:"best"`
	Gap            bestValue `json:"gap"`
}

// MarshalJSON writes the selection as {"dataset", "criterion" (what it
// was chosen on), "held_out", "iteration", "parameter_id", "parameters",
// "value", "superseded_left_out", "lines": [{"dataset", "criterion",
// "higher_is_better", "held_out", "value", "best" (a best report line),
// "gap"}]}.
func (s Selection) MarshalJSON() ([]byte, error) {
	w := selectionJSON{Dataset: s.On.Dataset, Criterion: s.On.Criterion, HeldOut: nonNil(s.On.HeldOut),
		Iteration: s.Iteration, ParameterID: s.ParameterID, Parameters: s.Parameters, Value: bestValue(s.Value),
		Superseded: s.Superseded, Lines: make([]selectionLineJSON, 0, len(s.Lines))}
	for _, l := range s.Lines {
		w.Lines = append(w.Lines, selectionLineJSON{Dataset: l.Dataset, Criterion: l.Criterion, HigherIsBetter: l.HigherIsBetter,
			HeldOut: l.HeldOut, Value: bestValue(l.Value), Best: l.Best, Gap: bestValue(l.Gap)})
	}
	return json.Marshal(w)
}

type proposalJSON struct {
	Best        *int                 `json:"current_best"`
	Criteria    []string             `json:"criteria"`
	Judged      []int                `json:"judged"`
	Epsilon     bestValue            `json:"epsilon"`
	Checkpoints []proposedJSON       `json:"checkpoints"`
	Parameters  []parameterJudgeJSON `json:"parameters"`
	Values      []valueJudgementJSON `json:"values"`
}

type proposedJSON struct {
	Iteration  int    `json:"iteration"`
	Reason     string `json:"reason"`
	Gap        int    `json:"gap"`
	Superseded bool   `json:"superseded"`
}

type parameterJudgeJSON struct {
	ParameterID int    `json:"parameter_id"`
	Parameters  string `json:"parameters"`
	Droppable   bool   `json:"droppable"`
	Reason      string `json:"reason"`
}

type valueJudgementJSON struct {
	Name      string `json:"name"`
	Value     any    `json:"value"`
	Droppable bool   `json:"droppable"`
}

// MarshalJSON writes the proposal as {"current_best" (null when none),
// "criteria", "judged", "epsilon", "checkpoints": [{"iteration", "gap",
// "superseded", "reason"}], "parameters": [{"parameter_id", "parameters",
// "droppable", "reason"}], "values": [{"name", "value", "droppable"}]}.
func (p ValidationProposal) MarshalJSON() ([]byte, error) {
	w := proposalJSON{Criteria: nonNil(p.Criteria), Judged: nonNil(p.Judged), Epsilon: bestValue(p.Epsilon),
		Checkpoints: make([]proposedJSON, 0, len(p.Checkpoints)), Parameters: make([]parameterJudgeJSON, 0, len(p.Parameters)),
		Values: make([]valueJudgementJSON, 0, len(p.Values))}
	if p.Best >= 0 {
		w.Best = &p.Best
	}
	for _, c := range p.Checkpoints {
		w.Checkpoints = append(w.Checkpoints, proposedJSON(c))
	}
	for _, j := range p.Parameters {
		w.Parameters = append(w.Parameters, parameterJudgeJSON(j))
	}
	for _, v := range p.Values {
		w.Values = append(w.Values, valueJudgementJSON(v))
	}
	return json.Marshal(w)
}

type healthJSON struct {
	Run      string        `json:"run,omitempty"`
	Status   string        `json:"status"`
	Findings []findingJSON `json:"findings"`
}

type findingJSON struct {
	Kind      string `json:"kind"`
	Severity  string `json:"severity"`
	Iteration *int   `json:"iteration"`
	Message   string `json:"message"`
}

// MarshalJSON writes the report as {"run" (left out when empty), "status"
// (the worst severity: "ok", "warning" or "failure"), "findings": [{"kind",
// "severity", "iteration" (null when none applies), "message"}]}.
func (r HealthReport) MarshalJSON() ([]byte, error) {
	w := healthJSON{Run: r.Run, Status: r.Worst.String(), Findings: make([]findingJSON, 0, len(r.Findings))}
	for _, f := range r.Findings {
		fj := findingJSON{Kind: f.Kind, Severity: f.Severity.String(), Message: f.Message}
		if f.Iteration >= 0 {
			it := f.Iteration
			fj.Iteration = &it
		}
		w.Findings = append(w.Findings, fj)
	}
	return json.Marshal(w)
}
