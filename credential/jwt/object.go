package jwt

import (
	"encoding/json"
	"errors"
)

var errNotObject = errors.New("not a JSON object")

// decodeObject splits a JSON object into its members, as
// json.Unmarshal into map[string]json.RawMessage would (the last of
// duplicate names wins), at a fraction of the cost: json.Valid checks the
// grammar, then one pass finds member boundaries without reflection.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
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
		name, ok := jsonString(data[i:end])
		if !ok {
			return nil, errNotObject
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // ':'
		end = skipValue(data, i)
		m[name] = data[i:end:end]
		i = skipSpace(data, end)
		if data[i] == '}' {
			return m, nil
		}
		i = skipSpace(data, i+1) // ','
	}
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
