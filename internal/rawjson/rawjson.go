// Package rawjson reads JSON without reflection: an object's members, an
// array's elements and a string, as encoding/json would decode them into
// json.RawMessage values and strings, at a fraction of the cost. Token
// claims (credential/jwt) and claim rules (policy) read tokens with it on
// every request. Each reader first checks the grammar with json.Valid,
// then finds boundaries in one pass; fuzz tests hold them to
// encoding/json.
package rawjson

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

var (
	errNotObject = errors.New("not a JSON object")
	errNotArray  = errors.New("not a JSON array")
)

// Object splits a JSON object into its members, as
// json.Unmarshal into map[string]json.RawMessage would (the last of
// duplicate names wins), at a fraction of the cost: json.Valid checks the
// grammar, then one pass finds member boundaries without reflection.
func Object(data []byte) (map[string]json.RawMessage, error) {
	return object(data, false)
}

// ErrDuplicate is wrapped by UniqueObject's error for a member name that
// appears twice.
var ErrDuplicate = errors.New("a member name appears twice")

// UniqueObject is Object for documents where a doubled member is a fault
// rather than "the last wins" (an introspection answer naming active or
// scope twice means two things at once): a name that appears twice, after
// JSON unescaping ("act\u0069ve" is active), is an error wrapping
// ErrDuplicate that names it.
func UniqueObject(data []byte) (map[string]json.RawMessage, error) {
	return object(data, true)
}

// DuplicateError names the member that appeared twice.
type DuplicateError struct {
	// Name is the member's name, unescaped: text from outside, to be
	// sanitised before it is shown.
	Name string
}

func (e *DuplicateError) Error() string { return "the member " + e.Name + " appears twice" }

// Unwrap makes errors.Is(err, ErrDuplicate) hold.
func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

func object(data []byte, unique bool) (map[string]json.RawMessage, error) {
	if !json.Valid(data) {
		return nil, errNotObject
	}
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, errNotObject
	}
	m := make(map[string]json.RawMessage, 8)
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return m, nil
	}
	for {
		end := skipString(data, i)
		name, ok := String(data[i:end])
		if !ok {
			return nil, errNotObject
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // ':'
		end = skipValue(data, i)
		if _, dup := m[name]; dup && unique {
			return nil, &DuplicateError{Name: name}
		}
		m[name] = data[i:end:end]
		i = skipSpace(data, end)
		if data[i] == '}' {
			return m, nil
		}
		i = skipSpace(data, i+1) // ','
	}
}

// Elements splits a JSON array into its elements, as json.Unmarshal into
// []json.RawMessage would.
func Elements(data []byte) ([]json.RawMessage, error) {
	if !json.Valid(data) {
		return nil, errNotArray
	}
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return nil, errNotArray
	}
	var out []json.RawMessage
	i = skipSpace(data, i+1)
	if data[i] == ']' {
		return []json.RawMessage{}, nil
	}
	for {
		end := skipValue(data, i)
		out = append(out, data[i:end:end])
		i = skipSpace(data, end)
		if data[i] == ']' {
			return out, nil
		}
		i = skipSpace(data, i+1) // ','
	}
}

// String decodes a JSON string value, without reflection when it has no
// escapes (the common case).
func String(raw json.RawMessage) (string, bool) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && plain(raw[1:len(raw)-1]) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// StringIs reports whether raw is the JSON string want, without
// allocating when it has no escapes.
func StringIs(raw json.RawMessage, want string) bool {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && plain(raw[1:len(raw)-1]) {
		return string(raw[1:len(raw)-1]) == want
	}
	s, ok := String(raw)
	return ok && s == want
}

// plain reports whether s can stand between quotes as it is: valid UTF-8
// with no quote, backslash or control character.
func plain(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.Valid(s)
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at data[i] ('"').
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index after the (valid) value starting at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = skipString(data, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(data) && data[i] != ',' && data[i] != '}' && data[i] != ']' && data[i] != ' ' &&
		data[i] != '\t' && data[i] != '\n' && data[i] != '\r' {
		i++
	}
	return i
}
