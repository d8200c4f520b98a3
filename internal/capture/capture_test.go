package capture

import (
	"net/http"
	"testing"
)

func TestRecorder(t *testing.T) {
	r := New(4)
	r.Header().Set("X-A", "1")
	if n, err := r.Write([]byte("abcdef")); n != 6 || err != nil {
		t.Fatalf("Write: %d %v", n, err)
	}
	r.WriteHeader(http.StatusTeapot)
	if r.Status != http.StatusOK || string(r.Body()) != "abcd" || r.Header().Get("X-A") != "1" {
		t.Fatalf("status %d, body %q", r.Status, r.Body())
	}
	r = New(4)
	r.WriteHeader(http.StatusUnauthorized)
	r.WriteHeader(http.StatusOK)
	if r.Status != http.StatusUnauthorized || len(r.Body()) != 0 {
		t.Fatalf("status %d", r.Status)
	}
}
