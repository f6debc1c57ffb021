package httpstack

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	connectcors "connectrpc.com/cors"
	"github.com/rs/cors"
)

// corsMaxAge is how long a browser may cache a preflight: Chromium caps it
// at two hours.
const corsMaxAge = 7200

// Response headers a cross-origin page may read: connect's (gRPC status in
// gRPC-Web headers) and the gateway's own.
var exposedHeaders = append(connectcors.ExposedHeaders(), "Galaxy-Start", "Galaxy-Missed-Events", "Galaxy-Resume-Cursor")

// allowedHeaders are the request headers a cross-origin page may send:
// connect's, and Authorization for client tokens.
var allowedHeaders = append(connectcors.AllowedHeaders(), "Authorization")

// CheckOrigin reports whether o can be given to --cors-origin: "*", or an
// origin as a browser sends it, scheme://host[:port] with nothing after.
func CheckOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ToLower(o) != o {
		return fmt.Errorf("%q is not an origin: want scheme://host[:port] in lower case, as a browser sends it (e.g. https://app.example.com), or *", o)
	}
	return nil
}

// withCORS answers preflights and adds CORS headers to the responses for
// origins allowed (none by default), with rs/cors. A preflight that CORS
// refuses gets 403 and a message here, where rs/cors would answer 204 with
// no CORS headers and leave the person at the browser's console guessing.
func withCORS(next http.Handler, origins []string) http.Handler {
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: connectcors.AllowedMethods(),
		AllowedHeaders: allowedHeaders,
		ExposedHeaders: exposedHeaders,
		MaxAge:         corsMaxAge,
	})
	inner := c.Handler(next)
	anyOrigin := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		method := r.Header.Get("Access-Control-Request-Method")
		if r.Method != http.MethodOptions || origin == "" || method == "" {
			inner.ServeHTTP(w, r)
			return
		}
		if msg := preflightRefusal(origin, method, r.Header.Values("Access-Control-Request-Headers"), origins, anyOrigin); msg != "" {
			w.Header().Add("Vary", "Origin")
			refuse(w, http.StatusForbidden, msg)
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// preflightRefusal says why CORS refuses a preflight, or "" when it allows
// it.
func preflightRefusal(origin, method string, reqHeaders, origins []string, anyOrigin bool) string {
	switch {
	case len(origins) == 0:
		return fmt.Sprintf("cross-origin calls are not allowed: this gateway allows no browser origin (serve --cors-origin %s would allow this one)", origin)
	case !anyOrigin && !slices.Contains(origins, origin):
		return fmt.Sprintf("origin %s is not allowed to call this gateway from a browser (serve --cors-origin %s would allow it; allowed now: %s)",
			origin, origin, strings.Join(origins, ", "))
	case !slices.Contains(connectcors.AllowedMethods(), method):
		return fmt.Sprintf("method %s is not allowed cross-origin; allowed: %s", method, strings.Join(connectcors.AllowedMethods(), ", "))
	}
	for _, line := range reqHeaders {
		for _, h := range strings.Split(line, ",") {
			h = strings.TrimSpace(h)
			if h != "" && !slices.ContainsFunc(allowedHeaders, func(a string) bool { return strings.EqualFold(a, h) }) {
				return fmt.Sprintf("request header %q is not allowed cross-origin; allowed: %s", h, strings.Join(allowedHeaders, ", "))
			}
		}
	}
	return ""
}
