package doctor

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// failedIn2xxBody reports whether a 2xx answer's JSON body says the call
// failed: {"ok":false} (Slack), {"success":false}, {"status":"error"},
// a JSON-RPC error object, GraphQL errors without data, or an error
// field at the top.
func failedIn2xxBody(a *answer) bool {
	if a.status < 200 || a.status > 299 {
		return false
	}
	var top map[string]any
	if json.Unmarshal(a.body, &top) != nil {
		return false
	}
	if bodyStatus(a) != 0 {
		return true
	}
	for k, v := range top {
		switch strings.ToLower(k) {
		case "ok", "success", "successful":
			if b, ok := v.(bool); ok && !b {
				return true
			}
		case "status", "result", "stat", "response", "outcome":
			if s, ok := v.(string); ok && slices.Contains([]string{"error", "fail", "failed", "failure", "denied", "unauthorized", "forbidden", "request_denied", "false", "nok", "notok", "ko"}, strings.ToLower(s)) {
				return true
			}
			if b, ok := v.(bool); ok && !b && strings.ToLower(k) != "result" {
				return true
			}
		case "errcode", "errno", "err_code", "ret", "retcode":
			if n, ok := v.(float64); ok && n != 0 {
				return true // {"errcode":40001,"errmsg":"invalid credential"}
			}
		case "error", "error_code", "errorcode", "fault":
			switch e := v.(type) {
			case string:
				if e != "" {
					return true
				}
			case map[string]any:
				return len(e) > 0
			case float64:
				return e != 0
			case []any:
				return len(e) > 0 // {"error":["EAPI:Invalid key"],"result":{}}
			}
		case "errors":
			if list, ok := v.([]any); ok && len(list) > 0 {
				return top["data"] == nil || graphQLAuthError(list)
			}
		}
	}
	return false
}

// statusKeys are the fields a JSON body states its own status in: a
// status of 400–599 says the call failed whatever the HTTP status. (An
// error number other than 0 says so too: failedIn2xxBody.)
var statusKeys = map[string]bool{"status": true, "code": true, "statuscode": true, "status_code": true, "http_status": true, "httpstatus": true, "httpcode": true, "http_code": true}

// bodyStatus returns the HTTP status a 2xx JSON body states for itself
// ({"code":401,"msg":"Unauthorized"}), or 0.
func bodyStatus(a *answer) int {
	var top map[string]any
	if json.Unmarshal(a.body, &top) != nil {
		return 0
	}
	for k, v := range top {
		if !statusKeys[strings.ToLower(k)] {
			continue
		}
		n, ok := v.(float64)
		if s, isStr := v.(string); isStr {
			f, err := strconv.ParseFloat(s, 64)
			n, ok = f, err == nil
		}
		if ok && n >= 400 && n <= 599 && n == float64(int(n)) {
			return int(n)
		}
	}
	return 0
}

// graphQLAuthError: an errors list whose extensions name an
// authentication or permission failure (Apollo's UNAUTHENTICATED,
// FORBIDDEN), which fails the call even beside partial data.
func graphQLAuthError(list []any) bool {
	for _, item := range list {
		m, _ := item.(map[string]any)
		ext, _ := m["extensions"].(map[string]any)
		code, _ := ext["code"].(string)
		if c := strings.ToUpper(code); strings.Contains(c, "AUTH") || strings.Contains(c, "FORBIDDEN") || strings.Contains(c, "PERMISSION") {
			return true
		}
	}
	return false
}
