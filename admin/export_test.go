package admin

// Route is an admin endpoint as the tests see it.
type Route struct {
	Method, Path string
	Public       bool
}

// Routes lists the endpoints the handler serves under api.AdminPrefix.
func Routes() []Route {
	out := make([]Route, 0, len(endpoints))
	for _, e := range endpoints {
		out = append(out, Route{e.method, e.path, e.public})
	}
	return out
}
