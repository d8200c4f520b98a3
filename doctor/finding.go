package doctor

import (
	"sort"

	"github.com/authgate/authgate/reason"
)

// Status grades a finding.
type Status string

// Statuses, worst first.
const (
	Fail Status = "fail"
	Warn Status = "warn"
	OK   Status = "ok"
	Info Status = "info"
)

// Code names a finding. Codes are stable; docs/doctor.md lists them.
type Code string

// The findings the doctor can report, each with how strongly it explains
// a failure when it is there (higher first). A finding that is the same
// cause as a reason of authgate's catalogue takes its spelling from there;
// the others are the doctor's own (client-side causes, or the names the
// doctor's JSON report has always used).
const (
	AuthorizationStripped   Code = "authorization_stripped"
	RedirectCrossHost       Code = "redirect_cross_host"
	RedirectSchemeDowngrade Code = "redirect_scheme_downgrade"
	ServerFault             Code = "server_fault"
	CredentialPlaceholder   Code = Code(reason.CredentialPlaceholder)
	ShellSubstitution       Code = "shell_substitution_not_run"
	VariableUnset           Code = "variable_unset"
	BasicNotBase64          Code = "basic_not_base64"
	BasicBase64Wrapped      Code = "basic_base64_wrapped"
	BasicTrailingNewline    Code = "basic_trailing_newline"
	BasicNoColon            Code = "basic_no_colon"
	HeaderFormat            Code = "header_format"
	HeaderNameMisspelled    Code = "header_name_misspelled"
	WrongTokenKind          Code = "wrong_token_kind"
	ClockSkew               Code = "clock_skew"
	InsufficientScope       Code = Code(reason.InsufficientScope)
	Forbidden               Code = Code(reason.Forbidden)
	TokenAudienceMismatch   Code = Code(reason.TokenAudienceMismatch)
	TokenIssuerMismatch     Code = "token_issuer_mismatch"
	TokenSignatureInvalid   Code = Code(reason.TokenSignatureInvalid)
	TokenKeyUnknown         Code = Code(reason.TokenKeyUnknown)
	TokenTypeMismatch       Code = Code(reason.TokenTypeMismatch)
	WrongEnvironment        Code = "wrong_environment"
	CredentialRevoked       Code = Code(reason.CredentialRevoked)
	CredentialUnknown       Code = Code(reason.CredentialUnknown)
	TokenExpired            Code = Code(reason.TokenExpired)
	TokenNotYetValid        Code = Code(reason.TokenNotYetValid)
	TooManyFailures         Code = Code(reason.TooManyFailures)
	CORSPreflightRejected   Code = "cors_preflight_unauthorized"
	CORSPreflightFailed     Code = "cors_preflight_failed"
	CORSAuthorizationDenied Code = "cors_authorization_not_allowed"
	CORSOriginDenied        Code = "cors_origin_not_allowed"
	CORSCredentialsWildcard Code = "cors_credentials_with_wildcard"
	CORSExposeMissing       Code = "cors_www_authenticate_not_exposed"
	SchemeMismatch          Code = "scheme_mismatch"
	CredentialsMissing      Code = Code(reason.CredentialsMissing)
	CredentialsRejected     Code = "credentials_rejected"
	EnvFileProblem          Code = "env_file_problem"
	IDTokenSent             Code = "id_token_sent"
	MissingChallenge        Code = "missing_challenge"
	SameWithoutCredentials  Code = "same_answer_without_credentials"
	TokenExpiresSoon        Code = "token_expires_soon"
	AlgNone                 Code = "token_unsigned"
	RedirectedToLogin       Code = "redirected_to_login"
	CredentialWrongHeader   Code = "credential_wrong_header"
	CompanionHeaderMissing  Code = "companion_header_missing"
	RequestSignatureInvalid Code = "request_signature_invalid"
	TokenForOtherAPI        Code = "token_for_another_api"
	ProviderRecognised      Code = "provider"
	APIDescription          Code = "api_description"
	ResourceMetadata        Code = "resource_metadata"
	StepUpRequired          Code = "step_up_required"
	ClientIPNotAllowed      Code = "client_ip_not_allowed"
	AccountLocked           Code = "account_locked"
	BasicUsernameWrong      Code = "basic_username_wrong"
	OTPRequired             Code = "otp_required"
	CSRFTokenRequired       Code = "csrf_token_required"
	WrongBaseURL            Code = "wrong_base_url"
	TokenLifetimeTooLong    Code = "token_lifetime_too_long"
	PasswordIsHash          Code = "password_is_hash"
	CredentialWrapped       Code = "credential_wrapped"
	RequestMalformed        Code = "request_malformed"
	RequestSucceeded        Code = "request_succeeded"
	TokenDecoded            Code = "token_decoded"
	CredentialSent          Code = "credential_sent"
	RedirectFollowed        Code = "redirect"
	EchoMatches             Code = "echo_matches"
	SignatureVerified       Code = "signature_verified"
	CORSPreflightOK         Code = "cors_preflight_ok"
	ClockOK                 Code = "clock_ok"
)

// weight ranks codes: how likely each explains a failed request.
var weight = map[Code]int{
	ServerFault: 100, AuthorizationStripped: 99, RedirectCrossHost: 98, RedirectSchemeDowngrade: 98,
	RedirectedToLogin: 98, StepUpRequired: 93, CredentialWrongHeader: 96, CompanionHeaderMissing: 93, RequestSignatureInvalid: 92, TokenForOtherAPI: 92,
	CredentialPlaceholder: 97, ShellSubstitution: 97, VariableUnset: 97,
	BasicNotBase64: 96, BasicBase64Wrapped: 96, BasicTrailingNewline: 96, BasicNoColon: 96, HeaderFormat: 95,
	HeaderNameMisspelled: 95, WrongTokenKind: 97,
	ClockSkew: 94, InsufficientScope: 93, Forbidden: 93,
	TokenAudienceMismatch: 92, TokenIssuerMismatch: 92, TokenSignatureInvalid: 92, TokenKeyUnknown: 92, TokenTypeMismatch: 92,
	WrongEnvironment: 92, CredentialRevoked: 92, CredentialUnknown: 91,
	TokenExpired: 90, TokenNotYetValid: 90, TooManyFailures: 90,
	CORSPreflightRejected: 89, CORSPreflightFailed: 89, CORSAuthorizationDenied: 89, CORSOriginDenied: 89, CORSCredentialsWildcard: 88,
	SchemeMismatch: 88, CredentialsMissing: 87, EnvFileProblem: 80, IDTokenSent: 75,
	CORSExposeMissing: 60, MissingChallenge: 55, CredentialsRejected: 50, SameWithoutCredentials: 60,
	TokenExpiresSoon: 30, AlgNone: 30,
	ClientIPNotAllowed: 94, AccountLocked: 94, BasicUsernameWrong: 95, OTPRequired: 93, CSRFTokenRequired: 93, WrongBaseURL: 93,
	TokenLifetimeTooLong: 93, PasswordIsHash: 96, CredentialWrapped: 96, RequestMalformed: 92,
}

// Basis says how the doctor knows a finding, strongest first: the
// server's explicit statement, a proof (what is sent, what the probes
// showed), a fact decoded from the token, a generic refusal by the server
// (it says that, not why), an inference, a note about the server's manners.
type Basis string

// Bases, strongest first (docs/doctor.md, "Ranking").
const (
	Stated Basis = "stated by the server"
	// Documented: read in the API's own OpenAPI or Swagger description.
	Documented Basis = "documented"
	Proven     Basis = "proven by the probes"
	Decoded    Basis = "decoded from the credential"
	Refused    Basis = "refused without a reason"
	Inferred   Basis = "inferred"
	Manners    Basis = "about the server"
)

var basisOrder = map[Basis]int{Stated: 0, Documented: 1, Proven: 2, Decoded: 3, Refused: 4, Inferred: 5, Manners: 6}

// defaultBasis is the basis of findings that do not set their own.
var defaultBasis = map[Code]Basis{
	TokenExpired: Decoded, TokenNotYetValid: Decoded, TokenExpiresSoon: Decoded, IDTokenSent: Decoded, AlgNone: Decoded,
	WrongEnvironment: Decoded, TokenForOtherAPI: Decoded, TokenDecoded: Decoded,
	CredentialsRejected: Refused, Forbidden: Refused,
	ClockSkew: Inferred, ClockOK: Inferred,
	MissingChallenge: Manners, SameWithoutCredentials: Manners, CORSExposeMissing: Manners,
}

// basisOf is f's basis: its own, else its code's, else proven.
func basisOf(f Finding) Basis {
	if f.Basis != "" {
		return f.Basis
	}
	if b, ok := defaultBasis[f.Code]; ok {
		return b
	}
	return Proven
}

// Finding is one thing the doctor learned.
type Finding struct {
	Code   Code   `json:"code"`
	Status Status `json:"status"`
	// Basis is how the doctor knows it (see Basis).
	Basis Basis `json:"basis,omitempty"`
	// Cause is the http-401-guide cause it matches; Category says the
	// same in a few plain words.
	Cause    string   `json:"cause,omitempty"`
	Category string   `json:"category,omitempty"`
	Title    string   `json:"title"`
	Evidence []string `json:"evidence,omitempty"`
	Fix      string   `json:"fix,omitempty"`
	// Command is a corrected command, when one can be derived.
	Command string `json:"command,omitempty"`
}

// offlineCertain are the failures read in what is sent that the server's
// generic words cannot contradict: a placeholder, an unset variable, a
// hash for a password, a wrapped credential. The server never saw a real
// credential, so its words ("invalid API key", "Unauthorized") are a
// consequence, and these rank first among failures, above the server's
// generic statements (genericStated).
var offlineCertain = map[Code]bool{CredentialPlaceholder: true, ShellSubstitution: true, VariableUnset: true,
	PasswordIsHash: true, CredentialWrapped: true}

// outranks reports whether failure a, read with certainty in what is
// sent or in the API's description, goes before b: an offlineCertain code
// before anything that is not one; a malformed header proven from the
// request itself (a scheme word inside an API-key header, a line break, a
// stray quote) before the server's generic statements ("invalid API
// key"), which are then its consequence; and what the API's description
// says of this call before the server's generic statements too.
func outranks(a, b Finding) bool {
	if a.Status != Fail || b.Status == Fail && offlineCertain[b.Code] {
		return false
	}
	return offlineCertain[a.Code] || a.Code == HeaderFormat && a.Basis == Proven && b.Basis == Stated && b.Code != HeaderFormat ||
		a.Basis == Documented && b.Basis == Stated && genericStated[b.Code]
}

// unsetFirst: a credential whose shell variable was unset or empty never
// left the machine, whatever the answer then says of it (a session
// expired, a rate): an unset variable goes before every other failure
// but another offline certainty.
func unsetFirst(a, b Finding) bool {
	return a.Status == Fail && a.Code == VariableUnset && b.Code != VariableUnset && !(b.Status == Fail && offlineCertain[b.Code])
}

// genericStated are the server's statements a credential that was never
// real also gets: an offline certainty outranks them. A statement naming
// any other cause (an expiry, a scope, the caller's address) shows the
// server read a real credential, so the server is believed: a sample such
// as <token> in the command then stands for the one really sent.
var genericStated = map[Code]bool{CredentialsRejected: true, CredentialUnknown: true, CredentialsMissing: true, HeaderFormat: true,
	Forbidden: true, SameWithoutCredentials: true, CredentialWrongHeader: true, BasicNotBase64: true, TokenSignatureInvalid: true}

// rank orders findings: failures before warnings before the rest; the
// offline certainties first among failures; within each, by basis (the server's statement > a proof > a decoded fact > a
// bare refusal > an inference > the server's manners), then by how
// strongly the code explains a failure. Every finding gets its basis.
func rank(fs []Finding) {
	order := map[Status]int{Fail: 0, Warn: 1, Info: 2, OK: 3}
	specific := false // the server names a cause only a read credential can have
	for i := range fs {
		fs[i].Basis = basisOf(fs[i])
		fs[i].Category = categoryOf(fs[i].Code)
		if fs[i].Status == Fail && fs[i].Basis == Stated && !offlineCertain[fs[i].Code] && !genericStated[fs[i].Code] {
			specific = true
		}
	}
	sort.SliceStable(fs, func(i, j int) bool {
		if order[fs[i].Status] != order[fs[j].Status] {
			return order[fs[i].Status] < order[fs[j].Status]
		}
		if unsetFirst(fs[i], fs[j]) {
			return true
		}
		if unsetFirst(fs[j], fs[i]) {
			return false
		}
		if !specific && outranks(fs[i], fs[j]) {
			return true
		}
		if !specific && outranks(fs[j], fs[i]) {
			return false
		}
		if basisOrder[fs[i].Basis] != basisOrder[fs[j].Basis] {
			return basisOrder[fs[i].Basis] < basisOrder[fs[j].Basis]
		}
		return weight[fs[i].Code] > weight[fs[j].Code]
	})
}
