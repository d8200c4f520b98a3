package middleware_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/middleware"
)

// exampleConfig is a service's configuration: one issuer whose keys sit
// behind a JWKS URL (a loopback address nobody serves, so the examples run
// offline; requests with a token would get 503 auth_unavailable). In a
// real service, middleware.Load reads the same YAML (without routes).
func exampleConfig() *config.Config {
	cfg, err := config.ParseService("service.yaml", []byte(`
realm: orders
issuers:
  - {name: idp, issuer: "https://idp.example.com", audiences: [orders-api], jwks_url: "http://127.0.0.1:9/jwks"}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		panic(err)
	}
	return cfg
}

// The middleware with Go's own mux (method and path patterns, Go 1.22+):
// each handler says what it needs.
func Example() {
	m, err := middleware.New(middleware.Config{Gateway: exampleConfig(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	defer m.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", m.Require("orders:read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		fmt.Fprintf(w, "order %s for %s", r.PathValue("id"), id.Principal)
	})))

	// A call without credentials gets the gateway's answer.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/orders/42", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output: 401 Bearer realm="orders"
}

// The middleware with chi: Require is a func(http.Handler) http.Handler,
// chi's middleware type.
func Example_chi() {
	m, err := middleware.New(middleware.Config{Gateway: exampleConfig(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	defer m.Close()
	r := chi.NewRouter()
	r.With(m.Require("orders:write")).Post("/orders", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("POST", "/orders", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output: 401 application/problem+json
}
