package admin

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// adminReasons are the reasons an admin operation may answer with beside
// those of a missing or bad credential (401); the description names each
// under its status in the catalogue.
var adminReasons = []reason.Code{reason.RequestInvalid, reason.InsufficientScope, reason.Forbidden, reason.NotFound,
	reason.RouteNotFound, reason.RequestBodyTimeout, reason.AlreadyExists, reason.TooManyFailures, reason.StoreNotConfigured,
	reason.AuthUnavailable}

// errorAnswers describes the problem answers any admin operation may
// give, by status: the codes and titles of adminReasons, from the
// catalogue.
func errorAnswers() map[int]string {
	answers := map[int]string{http.StatusUnauthorized: "the admin credential is missing or invalid (the reason and WWW-Authenticate say why)"}
	for _, code := range adminReasons {
		e := reason.Lookup(code)
		if answers[e.Status] != "" {
			answers[e.Status] += "; "
		}
		answers[e.Status] += string(e.Code) + ": " + e.Title
	}
	return answers
}

// OpenAPI returns the OpenAPI 3.1 description of the admin API, built from
// the table that registers its handlers and from the api types that
// travel: request bodies, answers and problem answers are schemas derived
// from the Go types by reflection.
func OpenAPI() map[string]any {
	schemas := map[string]any{}
	ref := func(t reflect.Type) map[string]any { return schemaOf(t, schemas) }
	problem := ref(reflect.TypeFor[api.Problem]())
	paths := map[string]map[string]any{}
	failures := errorAnswers()
	for _, e := range endpoints {
		responses := map[string]any{}
		ok := map[string]any{"description": http.StatusText(e.status)}
		switch {
		case e.out != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(e.out)}}
		case strings.HasSuffix(e.path, "/stream"):
			ok["content"] = map[string]any{"text/event-stream": map[string]any{"schema": map[string]any{"type": "string"}}}
		case strings.HasSuffix(e.path, "openapi.json"):
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
		}
		responses[strconv.Itoa(e.status)] = ok
		op := map[string]any{"summary": e.summary, "operationId": operationID(e), "responses": responses}
		if e.changes {
			op["description"] = "Changes state: needs scope " + api.AdminScope + " (an admin key); a read-only credential (scope " + api.AdminReadScope + ", a viewer key) is refused with 403 " + string(reason.Forbidden) + "."
		}
		if e.public {
			op["security"] = []map[string][]string{} // none needed
		} else {
			op["security"] = []map[string][]string{{"apiKey": {}}, {"bearer": {}}}
			for status, desc := range failures {
				responses[strconv.Itoa(status)] = map[string]any{"description": desc,
					"content": map[string]any{api.ProblemMediaType: map[string]any{"schema": problem}}}
			}
		}
		var params []map[string]any
		for _, seg := range strings.Split(e.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		if params != nil {
			op["parameters"] = params
		}
		if e.in != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(e.in)}}}
		}
		path := api.AdminPrefix + e.path
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(e.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "authgate admin API", "version": "v1"},
		"paths":   paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": api.DefaultAPIKeyHeader, "description": "an authgate API key with scope admin"},
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "an API key or a JWT with scope admin"},
			},
		},
	}
}

// operationID names an operation for generated clients: "get_keys",
// "post_keys_id_revoke".
func operationID(e endpoint) string {
	id := strings.ToLower(e.method)
	for _, seg := range strings.Split(e.path, "/") {
		if seg = strings.Trim(strings.TrimSuffix(seg, ".json"), "{}"); seg != "" {
			id += "_" + seg
		}
	}
	return id
}

// schemaOf returns the JSON Schema of t; named structs go into schemas
// once and are referenced.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	if t == reflect.TypeFor[time.Time]() {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), schemas)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Struct:
		name := t.Name()
		if _, done := schemas[name]; !done {
			schemas[name] = map[string]any{} // placeholder against recursion
			props := map[string]any{}
			required := []string{}
			for i := range t.NumField() {
				f := t.Field(i)
				tag := f.Tag.Get("json")
				field, opts, _ := strings.Cut(tag, ",")
				if field == "-" || !f.IsExported() {
					continue
				}
				if field == "" {
					field = f.Name
				}
				props[field] = schemaOf(f.Type, schemas)
				if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
					required = append(required, field)
				}
			}
			schemas[name] = map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}
