package statstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Metadata gives validation scores their meaning: the names of the datasets
// (axis 0), the post-processing parameter sets (axis 1) and the criteria
// (axis 2, DaCapo's evaluation_scores). It is stored with the scores, so a
// store is self-describing.
//
// In JSON (the metadata file of the CLI and the HTTP API) it is
//
//	{"datasets": ["crop_a", ...],
//	 "parameters": [{"id": 0, "name": "threshold_0.3", "values": {"threshold": 0.3}}, ...],
//	 "criteria": "binary_segmentation"}
//
// where "criteria" is a preset name (see Preset) or a list of criteria.
type Metadata struct {
	Datasets         []string
	Parameters       []ParameterSet
	EvaluationScores []Criterion
}

// Shape returns len(datasets), len(parameters), len(criteria): the shape every
// scores array must have.
func (m Metadata) Shape() [3]int {
	return [3]int{len(m.Datasets), len(m.Parameters), len(m.EvaluationScores)}
}

// IsZero reports whether m names no datasets, parameter sets or criteria.
func (m Metadata) IsZero() bool {
	return len(m.Datasets) == 0 && len(m.Parameters) == 0 && len(m.EvaluationScores) == 0
}

// Criteria returns the criterion names in axis order.
func (m Metadata) Criteria() []string {
	out := make([]string, len(m.EvaluationScores))
	for i, c := range m.EvaluationScores {
		out[i] = c.Name
	}
	return out
}

// ParameterDisplayNames returns the parameter sets' display names in axis order.
func (m Metadata) ParameterDisplayNames() []string {
	out := make([]string, len(m.Parameters))
	for i, p := range m.Parameters {
		out[i] = p.DisplayName()
	}
	return out
}

// ParameterNames returns the names of the parameter sets' values (e.g.
// ["threshold"]), in the order of the first set that has any, or ["id"] when
// the sets carry no named values.
func (m Metadata) ParameterNames() []string {
	for _, p := range m.Parameters {
		if len(p.Values) > 0 {
			out := make([]string, len(p.Values))
			for i, v := range p.Values {
				out[i] = v.Name
			}
			return out
		}
	}
	return []string{"id"}
}

// Criterion returns the criterion named name.
func (m Metadata) Criterion(name string) (Criterion, bool) {
	for _, c := range m.EvaluationScores {
		if c.Name == name {
			return c, true
		}
	}
	return Criterion{}, false
}

// UnknownDirections returns, in axis order, the names of the criteria whose
// direction (whether higher or lower is better) is unknown.
func (m Metadata) UnknownDirections() []string {
	var out []string
	for _, c := range m.EvaluationScores {
		if c.DirectionUnknown {
			out = append(out, c.Name)
		}
	}
	return out
}

// CheckDirections reports, with an error wrapping ErrUnknownDirection that
// names them, the criteria among names (every criterion when names is
// empty) whose direction is unknown: a best report of them would be a
// guess. Names that are not criteria of m are left to the caller.
func (m Metadata) CheckDirections(names ...string) error {
	var unknown []string
	for _, c := range m.EvaluationScores {
		if c.DirectionUnknown && (len(names) == 0 || slices.Contains(names, c.Name)) {
			unknown = append(unknown, c.Name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	const shown = 5
	list := strings.Join(unknown[:min(len(unknown), shown)], ", ")
	if len(unknown) > shown {
		list += fmt.Sprintf(" and %d more", len(unknown)-shown)
	}
	return fmt.Errorf("%d of %d criteria (%s) have no known direction: nothing says whether higher or lower values are better, so no best can be chosen; name the criteria with a preset or metadata: %w",
		len(unknown), len(m.EvaluationScores), list, ErrUnknownDirection)
}

// Validate reports empty or repeated names on any axis, parameter sets with
// repeated ids or display names, and invalid criteria.
func (m Metadata) Validate() error {
	if err := uniqueNames("dataset", m.Datasets); err != nil {
		return err
	}
	if err := uniqueNames("parameter set", m.ParameterDisplayNames()); err != nil {
		return err
	}
	ids := map[int]bool{}
	for _, p := range m.Parameters {
		if ids[p.ID] {
			return invalid("parameter set id %d given twice", p.ID)
		}
		ids[p.ID] = true
		if err := p.Values.Validate(); err != nil {
			return fmt.Errorf("parameter set %q: %w", p.DisplayName(), err)
		}
	}
	for _, c := range m.EvaluationScores {
		if err := c.Validate(); err != nil {
			return err
		}
	}
	return uniqueNames("criterion", m.Criteria())
}

func uniqueNames(what string, names []string) error {
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if n == "" {
			return invalid("%s %d has an empty name", what, i)
		}
		if seen[n] {
			return invalid("%s name %q given twice", what, n)
		}
		seen[n] = true
	}
	return nil
}

// Equal reports whether m and o describe the same axes.
func (m Metadata) Equal(o Metadata) bool {
	if len(m.Datasets) != len(o.Datasets) || len(m.Parameters) != len(o.Parameters) {
		return false
	}
	for i := range m.Datasets {
		if m.Datasets[i] != o.Datasets[i] {
			return false
		}
	}
	for i, p := range m.Parameters {
		q := o.Parameters[i]
		if p.ID != q.ID || p.DisplayName() != q.DisplayName() || !p.Values.Equal(q.Values) {
			return false
		}
	}
	return CriteriaEqual(m.EvaluationScores, o.EvaluationScores)
}

// Diff describes the first difference between m and o, for error messages;
// "" when they are equal.
func (m Metadata) Diff(o Metadata) string {
	switch {
	case !equalStrings(m.Datasets, o.Datasets):
		return fmt.Sprintf("datasets [%s] vs [%s]", strings.Join(m.Datasets, ", "), strings.Join(o.Datasets, ", "))
	case !equalStrings(m.ParameterDisplayNames(), o.ParameterDisplayNames()):
		return fmt.Sprintf("parameter sets [%s] vs [%s]", strings.Join(m.ParameterDisplayNames(), ", "), strings.Join(o.ParameterDisplayNames(), ", "))
	case !equalStrings(m.Criteria(), o.Criteria()):
		return fmt.Sprintf("criteria [%s] vs [%s]", strings.Join(m.Criteria(), ", "), strings.Join(o.Criteria(), ", "))
	case !m.Equal(o):
		return "parameter values or criterion properties differ"
	}
	return ""
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// GenericMetadata names a datasets × parameters × criteria shape with
// DaCapo-less generic names: dataset_0, parameters_0, criterion_0, ...
func GenericMetadata(datasets, parameters, criteria int) Metadata {
	ds := make([]string, datasets)
	for i := range ds {
		ds[i] = fmt.Sprintf("dataset_%d", i)
	}
	return Metadata{Datasets: ds, Parameters: GenericParameters(parameters), EvaluationScores: GenericCriteria(criteria)}
}

type metadataJSON struct {
	Datasets   []string        `json:"datasets"`
	Parameters []ParameterSet  `json:"parameters"`
	Criteria   json.RawMessage `json:"criteria"`
}

// MarshalJSON writes the metadata-file shape with criteria as a list.
func (m Metadata) MarshalJSON() ([]byte, error) {
	crit, err := json.Marshal(nonNil(m.EvaluationScores))
	if err != nil {
		return nil, err
	}
	params := nonNil(m.Parameters)
	for i := range params {
		params[i].Name = params[i].DisplayName()
	}
	return json.Marshal(metadataJSON{Datasets: nonNil(m.Datasets), Parameters: params, Criteria: crit})
}

// UnmarshalJSON reads the metadata-file shape; "criteria" may be a preset
// name or a list of criteria. The result is validated.
func (m *Metadata) UnmarshalJSON(data []byte) error {
	var raw metadataJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return invalid("metadata: %s (want {\"datasets\": [...], \"parameters\": [...], \"criteria\": \"preset\" or [...]})", describeJSONError(err))
	}
	var out Metadata
	out.Datasets = raw.Datasets
	out.Parameters = raw.Parameters
	var preset string
	switch {
	case len(raw.Criteria) == 0 || string(raw.Criteria) == "null":
		return invalid("metadata: \"criteria\" is missing: want a preset name (%s) or a list", strings.Join(PresetNames(), ", "))
	case json.Unmarshal(raw.Criteria, &preset) == nil:
		c, err := Preset(preset)
		if err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
		out.EvaluationScores = c
	default:
		if err := json.Unmarshal(raw.Criteria, &out.EvaluationScores); err != nil {
			return invalid("metadata: criteria: %s (want a preset name or a list of {\"name\", \"higher_is_better\", \"bounds\", \"store_best\"})", describeJSONError(err))
		}
	}
	if err := out.Validate(); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	*m = out
	return nil
}

// nonNil returns a copy of s that is never nil, so that it marshals as [].
func nonNil[T any](s []T) []T {
	out := make([]T, len(s))
	copy(out, s)
	return out
}
