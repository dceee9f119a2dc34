package statstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// describeJSONError rewrites a JSON decoding error in the user's terms:
// where the value is and what was expected, without Go type names
// ("datasets is a string, want an array of strings", not "cannot unmarshal
// string into Go struct field metadataJSON.datasets of type []string").
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		where := te.Field
		if where == "" {
			where = "the value"
		}
		return fmt.Sprintf("%s is %s, want %s", where, jsonKind(te.Value), jsonWant(te.Type))
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	return err.Error()
}

// jsonKind names a JSON value kind as encoding/json reports it.
func jsonKind(v string) string {
	switch v {
	case "string", "number", "array", "object":
		return "a " + v
	case "bool":
		return "true or false"
	}
	if len(v) > 0 && (v[0] == 'n' || v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		return "a number"
	}
	return v
}

// jsonWant says in JSON terms what a Go type expects.
func jsonWant(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array of " + plural(jsonWant(t.Elem()))
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonWant(t.Elem())
	}
	return "another kind of value"
}

// plural turns "a string" into "strings", "an array of numbers" into
// "arrays of numbers".
func plural(s string) string {
	for _, article := range []string{"a ", "an "} {
		if len(s) > len(article) && s[:len(article)] == article {
			s = s[len(article):]
			if i := strings.IndexByte(s, ' '); i >= 0 {
				return s[:i] + "s" + s[i:]
			}
			return s + "s"
		}
	}
	return s
}
