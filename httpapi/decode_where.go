package httpapi

import "strconv"

// where names the value a body decoder reads, for its errors: a key
// ("the body", "run"), a list element ("iteration_stats[3]") or an
// element's field ("iteration_stats[3].loss"). It is formatted only when an
// error names it: a training body holds thousands of values, and building
// each one's name up front cost the server more than storing them.
type where struct {
	name  string // the value's name, or the list's key
	index int    // the element's index, -1 for none
	field string // the element's key, "" for none
}

// named is the where of a value with a name of its own.
func named(name string) where { return where{name: name, index: -1} }

// element is the where of list[i].
func element(list string, i int) where { return where{name: list, index: i} }

// key is the where of w's field k.
func (w where) key(k string) where { w.field = k; return w }

// String formats w as the errors name it.
func (w where) String() string {
	s := w.name
	if w.index >= 0 {
		s += "[" + strconv.Itoa(w.index) + "]"
	}
	if w.field != "" {
		s += "." + w.field
	}
	return s
}
