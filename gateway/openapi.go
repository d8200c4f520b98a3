package gateway

import (
	"net/http"
	"strings"
)

// requestSchemas describe the admin API's request bodies.
var requestSchemas = map[string]map[string]any{
	"KeyCreate": {"type": "object", "required": []string{"name", "environment"}, "properties": map[string]any{
		"name": map[string]any{"type": "string"}, "environment": map[string]any{"type": "string"},
		"scopes": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}, "expires": map[string]any{"type": "string", "format": "date-time"}}},
	"KeyRotate":  {"type": "object", "required": []string{"grace"}, "properties": map[string]any{"grace": map[string]any{"type": "string", "examples": []string{"24h"}}}},
	"UserCreate": {"type": "object", "required": []string{"name", "password"}, "properties": map[string]any{"name": map[string]any{"type": "string"}, "password": map[string]any{"type": "string", "minLength": 8}, "scopes": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}},
	"Password":   {"type": "object", "required": []string{"password"}, "properties": map[string]any{"password": map[string]any{"type": "string", "minLength": 8}}},
	"ExplainRequest": {"type": "object", "required": []string{"path"}, "properties": map[string]any{
		"method": map[string]any{"type": "string"}, "path": map[string]any{"type": "string"}, "authorization": map[string]any{"type": "string"},
		"token": map[string]any{"type": "string"}, "api_key": map[string]any{"type": "string"},
		"headers": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}}},
}

// OpenAPI returns the OpenAPI 3.1 description of the admin API, built from
// the same table that registers its handlers.
func OpenAPI() map[string]any {
	paths := map[string]map[string]any{}
	for _, e := range adminEndpoints {
		op := map[string]any{
			"summary":  e.summary,
			"security": []map[string][]string{{"apiKey": {}}, {"bearer": {}}},
			"responses": map[string]any{
				"200": map[string]any{"description": "OK"}, "201": map[string]any{"description": "Created"},
				"204": map[string]any{"description": "Done"},
				"400": map[string]any{"description": "Bad request (problem+json)"},
				"401": map[string]any{"description": "Credential missing or invalid (WWW-Authenticate says why)"},
				"403": map[string]any{"description": "Credential lacks scope admin"},
				"404": map[string]any{"description": "Not found"},
				"503": map[string]any{"description": "Store unavailable"},
			},
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
		if e.body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/" + e.body}}}}
		}
		if paths[e.path] == nil {
			paths[e.path] = map[string]any{}
		}
		paths[e.path][strings.ToLower(e.method)] = op
	}
	schemas := map[string]any{}
	for k, v := range requestSchemas {
		schemas[k] = v
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "authgate admin API", "version": "v1"},
		"paths":   paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "an authgate API key with scope admin"},
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "an API key or a JWT with scope admin"},
			},
		},
	}
}

func (g *Gateway) adminOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, OpenAPI())
}
