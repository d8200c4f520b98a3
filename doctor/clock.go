package doctor

import (
	"fmt"
	"net/http"
	"time"

	"github.com/authgate/authgate/credential/diagnose"
)

// clock compares the server's Date with this machine's clock, and the
// token's times with the server's clock.
func (p *prober) clock(a *answer) {
	if a.date.IsZero() {
		return
	}
	skew := a.date.Sub(a.localAt)
	if skew.Abs() < time.Minute {
		p.add(Finding{Code: ClockOK, Status: OK, Title: fmt.Sprintf("The server's clock agrees with this machine's (%s)", skew.Round(time.Second))})
		return
	}
	f := Finding{Code: ClockSkew, Status: Warn, Cause: "6. Clock skew",
		Title:    fmt.Sprintf("The server's clock is %s %s this machine's", skew.Abs().Round(time.Second), map[bool]string{true: "ahead of", false: "behind"}[skew > 0]),
		Evidence: []string{"Date: " + a.header.Get("Date"), "local: " + a.localAt.UTC().Format(http.TimeFormat)},
		Fix:      "Synchronise the clocks (NTP) of the server, the token issuer and this machine."}
	if d := p.off.jwtToken; d != nil && a.status == 401 {
		// The server's "expired" or "not yet valid" is the consequence;
		// its clock is the cause.
		// The offline clock checks (as in offline.bearer), by the server's clock.
		serverNow := a.date
		exp, _ := diagnose.ClaimTime(d, "exp")
		switch {
		case diagnose.Expired(d, serverNow, 0) != nil && diagnose.Expired(d, a.localAt, 0) == nil:
			f.Status, f.Basis = Fail, Proven
			f.Evidence = append(f.Evidence, fmt.Sprintf("by the server's clock the token expired %s ago; by this machine's it is still valid", serverNow.Sub(exp).Round(time.Second)))
		case diagnose.NotYetValid(d, serverNow, 30*time.Second) != nil:
			f.Status, f.Basis = Fail, Proven
			f.Evidence = append(f.Evidence, "by the server's clock the token is not valid yet (nbf/iat in its future)")
		}
		if c := p.statedCode(a); f.Status == Fail && (c == TokenExpired || c == TokenNotYetValid) {
			f.Basis = Stated // the server said the consequence; its clock is the cause
		}
	}
	p.add(f)
}
