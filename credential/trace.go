package credential

import (
	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// Trace records the checks a decision ran, in order, as the code that ran
// them saw them: explain prints it. A nil *Trace records nothing (the
// request path passes nil and pays nothing). A dry-run trace also forbids
// side effects: no last-used time, no re-hashing, no failure counting, no
// cache reads or writes.
type Trace struct {
	dry    bool
	checks []api.Check
}

// NewTrace returns a Trace; dryRun forbids side effects.
func NewTrace(dryRun bool) *Trace { return &Trace{dry: dryRun} }

// DryRun reports whether side effects are forbidden.
func (t *Trace) DryRun() bool { return t != nil && t.dry }

// Pass records a passed check.
func (t *Trace) Pass(check, detail string) {
	if t != nil {
		t.checks = append(t.checks, api.Check{Check: check, Result: api.CheckPass, Detail: detail})
	}
}

// Fail records a failed check with err's detail and returns err, so a
// verifier writes `return t.Fail("signature", err)`.
func (t *Trace) Fail(check string, err error) error {
	if t != nil && err != nil {
		re := reason.From(err)
		t.checks = append(t.checks, api.Check{Check: check, Result: api.CheckFail, Detail: string(re.Code) + ": " + re.Detail})
	}
	return err
}

// Check records check as passed when err is nil, else as failed; it
// returns err.
func (t *Trace) Check(check string, err error) error {
	if err != nil {
		return t.Fail(check, err)
	}
	t.Pass(check, "")
	return nil
}

// Checks returns what was recorded.
func (t *Trace) Checks() []api.Check {
	if t == nil {
		return nil
	}
	return t.checks
}
