package doctor

import (
	"github.com/authgate/authgate/reason"
)

// identify reads what the answer says and which provider gave it.
func (p *prober) identify(a *answer) {
	says := readSays(a)
	if pr := identify(p.off.req.URL, a); pr != nil {
		says.Provider, p.provider = pr.Name, pr
		ev := []string{"expects " + pr.Expects, "documented at " + pr.Docs}
		if pr.Note != "" {
			ev = append(ev, pr.Note)
		}
		p.add(Finding{Code: ProviderRecognised, Status: Info, Title: "The answer is " + pr.Name + "'s", Evidence: ev})
	}
	p.says = &says
}

// serverCodes maps each reason of authgate's catalogue to the finding
// that explains it (TestServerCodesCoverCatalogue keeps it whole). The
// RFC 6750 error values a challenge carries (invalid_request,
// invalid_token, insufficient_scope) are read by the lexicon, as any
// server's words are.
var serverCodes = map[reason.Code]Code{
	reason.DPoPProofMissing: DPoPProofMissing, reason.DPoPProofInvalid: DPoPProofRefused, reason.DPoPProofReplayed: DPoPProofRefused,
	reason.DPoPProofTokenMismatch: DPoPProofRefused, reason.DPoPKeyMismatch: DPoPProofRefused, reason.DPoPTokenUnbound: DPoPProofRefused,
	reason.DPoPProofMismatch: DPoPHTUMismatch, reason.DPoPNonceRequired: DPoPNonceRequired, reason.DPoPBoundTokenAsBearer: DPoPBoundAsBearer,
	reason.DPoPRequired: DPoPProofMissing, reason.CertificateMissing: CertificateMissing, reason.CertificateMismatch: CertificateMissing,
	reason.CredentialsMissing: CredentialsMissing, reason.SchemeUnsupported: SchemeMismatch, reason.HeaderMalformed: HeaderFormat,
	reason.CredentialPlaceholder: CredentialPlaceholder, reason.TokenTooLarge: HeaderFormat, reason.TokenMalformed: HeaderFormat,
	reason.TokenAlgorithmRejected: TokenSignatureInvalid, reason.TokenKeyUnknown: TokenKeyUnknown, reason.TokenSignatureInvalid: TokenSignatureInvalid,
	reason.TokenExpired: TokenExpired, reason.TokenNotYetValid: TokenNotYetValid, reason.TokenIssuerUntrusted: TokenIssuerMismatch,
	reason.TokenAudienceMismatch: TokenAudienceMismatch, reason.TokenTypeMismatch: TokenTypeMismatch, reason.CredentialRevoked: CredentialRevoked,
	reason.CredentialExpired: TokenExpired, reason.CredentialUnknown: CredentialUnknown, reason.CredentialWrongEnvironment: WrongEnvironment,
	reason.APIKeyMalformed: HeaderFormat, reason.CredentialInQuery: HeaderFormat, reason.BasicMalformed: BasicNotBase64,
	reason.BasicInvalid: CredentialsRejected, reason.TooManyFailures: TooManyFailures, reason.InsufficientScope: InsufficientScope,
	reason.Forbidden: Forbidden, reason.ClientNetworkDenied: ClientIPNotAllowed, reason.ClaimMismatch: InsufficientScope,
	reason.InsufficientUserAuthentication: StepUpRequired, reason.TokenInactive: CredentialsRejected, reason.CORSOriginDenied: CORSOriginDenied,
	reason.CredentialWrongKind: WrongTokenKind, reason.QuotaExceeded: TooManyFailures, reason.ProxyUntrusted: ServerFault, reason.ProxyRequestInvalid: ServerFault,
	reason.AuthUnavailable: ServerFault, reason.UpstreamUnreachable: ServerFault, reason.UpstreamTimeout: ServerFault, reason.StoreNotConfigured: ServerFault,
	reason.RouteNotFound: WrongBaseURL,
	reason.PathMalformed: RequestMalformed, reason.MethodMalformed: RequestMalformed, reason.HeadersTooMany: RequestMalformed,
	reason.RequestBodyTooLarge: RequestMalformed, reason.RequestBodyTimeout: RequestMalformed, reason.RequestBodyMalformed: RequestMalformed,
	reason.UpgradeNotAllowed: RequestMalformed, reason.RequestInvalid: RequestMalformed, reason.NotFound: RequestMalformed, reason.AlreadyExists: RequestMalformed,
}

// statedCode is the cause the answer states (authgate's reason, or the
// server's words), or "".
func (p *prober) statedCode(a *answer) Code {
	if c, ok := serverCodes[reason.Code(a.problem.Reason)]; ok {
		return c
	}
	if p.says != nil {
		if st, ok := p.says.statedCause(); ok && !isBare(st.says) {
			return st.code
		}
	}
	return ""
}
