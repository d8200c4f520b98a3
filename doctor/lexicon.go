package doctor

import (
	"strings"
	"sync"
	"unicode"

	"github.com/authgate/authgate/internal/lazyregexp"
)

// stated is a cause the server's words name, and the words.
type stated struct {
	code Code
	says Statement
}

// A rule is one cause of the lexicon: the phrases, synonyms and patterns
// (regular expressions, matched case-insensitively) servers use to name
// it. The table is data, learned from the real messages of
// testdata/lexicon.yaml (each cited there): the first rule that matches a
// statement classifies it, so the specific come before the general, and
// among the statements of one answer the one whose rule comes first wins.
type rule struct {
	code    Code
	phrases []string
}

var rules = []rule{
	// RFC 9470: the token is fine, the sign-in behind it is not enough.
	{StepUpRequired, []string{`insufficient_user_authentication`, `step[- ]?up`, `authentication (level|context) .{0,30}(insufficient|required)`,
		`requires? (mfa|multi-factor|two-factor authentication level)`, `different authentication level`, `more recent authentication`, `re-?authenticat(e|ion) (is )?required`}},
	// A one-time password beside the credential.
	{OTPRequired, []string{`two[- ]factor`, `\b2fa\b`, `\botp\b`, `one[- ]time (password|passcode|code)`, `x-github-otp`, `totp`,
		`(verification|authenticator|security|mfa) code (is )?(required|missing|needed)`, `mfa (token|code) .{0,20}(required|missing)`,
		`second factor`, `missing (the )?(mfa|2fa|otp)`, `must use multi-factor`, `mfa_required`, `one[- ]time pass ?(word|code)`, `mfa serial number`}},
	// The lifetime asked for is longer than the server accepts.
	{TokenLifetimeTooLong, []string{`too far in the future`, `(lifetime|expiration|expiry|validity|duration|exp\b).{0,50}(too long|exceeds|greater than|longer than|more than|at most|maximum|max\b)`,
		`(maximum|max) (token |allowed )?(lifetime|validity|expiration|duration)`, `expires?_?in .{0,30}(exceed|maximum|too)`,
		`more than \d+ (seconds|minutes|hours|days) (in|into) the future`, `(exp\b|expiration|expiry|lifetime|validity).{0,40}(must|should|can|may) (be )?(less than|no more than|within|at most|not exceed|not be more than|up to)`, `(cannot|must not) be more than .{0,40}future`, `short-lived token`}},
	// Lists of causes say no one cause.
	{CredentialsRejected, []string{`may be invalid, or`, `invalid, expired,? (or|and) revoked`, `expired or revoked`, `revoked or expired`,
		`malformed, or expired`, `invalid or expired`, `expired or invalid`, `invalid or has expired`, `missing or invalid`, `invalid or missing`, `expired or missing`, `missing or expired`, `incorrect or expired`, `either you .{0,80}, or `,
		`(invalid|incorrect|wrong) or (were |was )?(not included|not (provided|present|sent|supplied))`, `either (invalid|missing|expired) or`}},
	{CredentialsRejected, foreignInvalidOrExpired},
	// A plan, subscription or licence that ended is a policy, not an
	// expired credential.
	{Forbidden, []string{`(subscription|plan|trial|license|licence|billing period)s? (has |have |is )?(expired|ended|lapsed|run out|cancel+ed)`,
		`(expired|ended|lapsed) (subscription|plan|trial|license|licence)`}},
	// What the account's plan, subscription or edition does not include
	// (a premium endpoint, a feature not enabled for it): the credential
	// is read and lacks that, like a scope.
	{InsufficientScope, []string{`(not (available|allowed|permitted|supported|included|enabled|entitled)|unavailable|disabled) (on|in|with|for|under) (the |your |a |this |current )?([\w-]+ )?(plan|tier|subscription|edition|package|licen[cs]e)s?\b`,
		`(plan|tier|subscription|edition|package|licen[cs]e)s? (does not|doesn't|do not|don't) (include|allow|support|permit|cover|grant)`, `plan does not`,
		`upgrade (your|to an?|the) ([\w-]+ ){0,2}(plan|tier|subscription|account|membership|edition|package)`, `premium (endpoint|feature|plan|subscription|membership|tier|api|data)s?\b`,
		`(invalid|wrong|unsupported|insufficient) (subscription|plan|licen[cs]e|account) (type|level|tier|edition)`, `not entitled`,
		`(subscription|plan|licen[cs]e) (type|level|tier|edition) (is )?(invalid|not supported|insufficient|required)`,
		`feature (is )?not (enabled|available|included|activated)`, `not enabled for (the |this |your )?(subscription|plan|account|organi[sz]ation|org|tenant|workspace|project|app|application|key)\b`,
		`(requires?|needs?) an? (paid|premium|pro|business|enterprise|higher) (plan|subscription|account|tier|licen[cs]e)`,
		`(service|endpoint|api|feature|product|module|add-?on)s? (is |are )?not available on (this|your) (key|account)`}},
	// The caller's address, before any credential is looked at.
	{ClientIPNotAllowed, []string{`\bip\b.{0,40}(not (allowed|authorized|authorised|permitted|whitelisted|in)|blocked|denied|banned|restricted|rejected)`,
		`(ip|address|network).{0,20}(allow|white|access)[- ]?list`, `not (in|on) (the |an? |your |its )?([\w-]+ )?(allow|white)[- ]?list`, `ip_(address_)?(not_allowed|restricted|blocked|denied)`,
		`(client|source|remote|originating) (ip|address)`, `trusted (ip|network|location)s?`,
		`network (policy|rule)`, `cidr`, `(local|intranet|internal) (network|sign-in|login|access) only`, `only .{0,30}from (the )?(local|internal|corporate) network`,
		`geo(graphic)?[- ]?(block|restrict)`, `(not available|unavailable|not supported|restricted|blocked|not permitted) (in|from|for) (your|this|the caller's) (country|region|location|jurisdiction|territory)`,
		`restricted (location|jurisdiction|country|territory|region)`, `banned (the |your )?(country|region|ip|network|address)`, `(country|region) your ip`, `(country|jurisdiction|territory) .{0,30}(restricted|blocked|not (allowed|permitted|supported|available))`, `not accessible from your (location|country|region)`, `ip address (is )?not`, `allowed ip`,
		`(country|region|territory),? (is )?not supported`, `unsupported (country|region)`, `from (this |your )?(ip|network|location|address)\b`,
		`network zone`, `(banned|blocked) your ip`, `you have been (blocked|banned)`, `(unauthori[sz]ed|disallowed|blocked|forbidden|banned|unknown) ip\b`, `restricted to (the )?(local|internal|corporate|private) network`,
		`(unauthori[sz]ed|invalid|unknown|unrecognized|unmatched|mismatched|disallowed) (request |client |source |remote )?ip\b`, `\bip (address )?(restriction|filter|check|binding|mismatch|white ?list|allow ?list)`,
		`(allowed|trusted|authori[sz]ed|approved|permitted|white-?listed|registered|bound) (ips|ip address(es)?|ip ranges?|networks?|addresses)\b`,
		`requests? (from|originating from) .{0,40}(not (allowed|permitted|accepted|authori[sz]ed)|denied|blocked|refused)`, `(access|connections?) from .{0,30}(is |are )?(denied|not allowed|blocked|refused|not permitted)`,
		`firewall`, `\bip\b( address)? (is )?unauthori[sz]ed`, `\bip\b.{0,30}not (included|listed|registered|recognized|authori[sz]ed)`, `from (an? )?(unknown|unrecognized|unauthori[sz]ed|untrusted) (location|network|ip|address)`,
		`local (sign-in|login)`, `same (machine|host|computer) as`, `(only|just) (be )?(accessible|available|reachable|allowed|permitted) from (the )?(localhost|local ?host|127\.0\.0\.1|same machine|local machine)`, `from localhost only`, `vpcservicecontrols|vpc service controls`, `sign in from this location`}},
	{ClientIPNotAllowed, foreignIPNotAllowed},
	// A lockout, ban or CAPTCHA after failed attempts.
	{AccountLocked, []string{`(account|user|login)( is| has been| was)? (temporarily )?(locked|blocked|banned)`, `locked out`, `lock-?out`,
		`too many (failed|unsuccessful|invalid|incorrect|bad) (login |sign-in |authentication |password )?(attempts|logins|tries)`,
		`too many (login|sign-in|sign in|logon|authentication|auth|password) (attempts|tries|failures)`,
		`captcha`, `temporarily (locked|blocked|suspended|disabled)`, `account_locked`, `user_locked`, `\bbanned\b`, `attempts exceeded`, `too_many_attempts`,
		`prohibited from (signing|logging) in`}},
	{AccountLocked, foreignAccountLocked},
	// A nonce or timestamp out of order is the clock, not a CSRF token.
	{ClockSkew, []string{`nonce .{0,40}(greater|larger|higher|increas|too (small|low|old)|out of order|already used)`, `recv_?window`,
		`(ahead of|behind) (the )?server'?s? (time|clock)`, `invalid timestamp`, `timestamp (is )?(invalid|too (old|new|far))`,
		`timestamp (for|of) (this|the) request (is )?(invalid|expired|too old|outside)`, `时间戳.{0,4}(过期|無效|无效|错误|超时)`}},
	// A CSRF token beside a session.
	{CSRFTokenRequired, []string{`csrf`, `\bnonce\b`, `cookie check failed`, `xsrf`, `cross[- ]site request forgery`, `authenticity[_ ]token`, `invalidauthenticitytoken`, `\bcrumb\b`, `antiforgery`, `session-id header`}},
	// The origin a browser sent.
	{CORSOriginDenied, []string{`origin .{0,40}(not allowed|not permitted|is not allowed|disallowed|forbidden|rejected)`, `\bcors\b`,
		`access-control-allow-origin`, `(invalid|disallowed|unknown) origin`}},
	// Who the credential is for.
	{IDTokenSent, []string{`\bid[ _-]?tokens? (is |are )?(not|cannot|instead|unsupported)`, `\bid[ _-]?tokens? .{0,30}(not (supported|accepted|allowed)|instead of)`, `expected an access token`, `token_use`,
		`access_token_type_unsupported.{0,80}id token`}},
	{TokenAudienceMismatch, []string{`audience`, `\baud\b`, `idx10214`, `idx10208`, `invalid_audience`, `wrong aud`}},
	{TokenIssuerMismatch, []string{`issuer`, `\biss\b`, `idx10205`, `idx10204`, `issued by a different provider`}},
	{TokenTypeMismatch, []string{`\btyp\b`, `token type .{0,20}(mismatch|invalid|not allowed|expected)`, `wrong token type`, `invalid token type`,
		`(token )?has (the )?wrong type`,
		// A refresh token sent where an access token goes.
		`refresh tokens? (cannot|can't|can not|may not|must not) be used (to|for|as|on|in place|with this)`, `refresh tokens? (is|are) not (allowed|accepted|supported|valid) (here|for (this|api)|as)`,
		`refresh tokens? .{0,30}(instead of|as an?|where an?) access token`,
		`non-refresh tokens?`, `\b(is|was) an? refresh token`, `(got|received) an? refresh token`, `is not an access token`,
		`expected (an? )?access token,? (but )?(got|received) (an? )?refresh`}},
	// Keys and signatures.
	{TokenKeyUnknown, []string{`signature key was not found`, `idx10503`, `idx10501`, `no matching key`, `unable to find .{0,20}key`,
		`kid .{0,40}not found`, `unknown kid`, `(signing|public|verification) key .{0,20}not found`, `no key for`, `jwks`, `no applicable key`,
		`(does not|doesn't) correspond to a known (public )?key`, `(unknown|no matching|unrecognized|no) (signing|verification|public|jwt|jwk) key`}},
	{TokenSignatureInvalid, []string{`(jwt|token)('s)? signature`, `invalid (token |jwt |access token )?signature`}},
	{RequestSignatureInvalid, []string{`signaturedoesnotmatch`, `request signature we calculated`, `incompletesignature`,
		`signature .{0,30}(does not|doesn't) match`, `invalid signature for request`, `authorization header requires`,
		`not the same as any computed signature`, `authorization header is formed correctly`, `hmac .{0,20}(invalid|mismatch|does not match)`,
		`webhook signature`, `request signature`, `signatures? found matching`, `expected signature`, `request validation failed`,
		`signature (for|of) (this|the) request`, `\bsign(ature)? error\b`,
		`\bsign(ature)?s? (does ?n[o']t |do ?n[o']t |did ?n[o']t |not )match`, `\bsign(ature)?[ _-]?(mis-?match|not[ _]match)`,
		`(invalid|bad|wrong|incorrect|mismatched) checksum`, `checksum ?(hash )?(mismatch|invalid|error|failed|verification failed|(does not|doesn't) match|is (invalid|wrong|incorrect))`, `(invalid|bad|wrong|incorrect|error) sign\b`, `hmac .{0,20}(verification|validation|check) failed`}},
	{RequestSignatureInvalid, foreignRequestSignature},
	{TokenSignatureInvalid, foreignTokenSignature},
	{TokenSignatureInvalid, []string{`invalid signature`, `signature (is )?invalid`, `signature verification`, `bad signature`, `idx10511`, `idx10504`,
		`signature .{0,20}failed`, `jwt signature`, `signature has been tampered`, `invalidsignature`, `signature could not be verified`}},
	// The base URL: region, deployment, data centre.
	{WrongBaseURL, []string{`scoped to a valid region`, `deployment .{0,40}(not found|does not exist)`, `deploymentnotfound`,
		`(unknown|no such|invalid) (workspace|tenant|subdomain|instance|site)\b`, `(hosted|located|lives?|resides?) (in|on) (the |a |another )?[\w-]* ?(region|data ?cent(er|re)|instance|cluster|site)`,
		`(correct|right|proper|regional) (region|regional|endpoint|base url|host|data ?cent(er|re)|domain)`, `invalid region`, `unknown region`,
		`belongs to (the |a |another )?[\w-]* ?(region|data ?cent(er|re)|instance|cluster|site)`, `correct regional`, `tenant .{0,40}not found`, `correct cloud`,
		`no (help desk|account|site|workspace|instance|tenant) at `, `wrong (api )?(region|data ?cent(er|re)|endpoint|host|base url|cluster|server|domain|instance|shard|pod)`,
		`(different|another|incorrect|other) (region|data ?cent(er|re)|endpoint|cluster|instance|shard|pod)`, `must be addressed using the specified endpoint`,
		`permanentredirect`, `authorizationheadermalformed.{0,80}region`, `the region '[^']*' is wrong`, `region .{0,20}(mismatch|is wrong|expecting)`,
		`(use|send requests to|call) the .{0,40}(endpoint|base url|host|domain) (for|of) (your|this|the)`, `not (hosted|located|available) (in|on) this (region|server|instance|cluster)`,
		`(account|organization|workspace|tenant|team) .{0,30}(is|lives) (in|on) (another|a different)`,
		`(data ?cent(er|re)|region|server|domain|instance|cluster)s? (that |where |which )?your (account|organi[sz]ation|workspace|tenant|org|data) (is|lives|resides|was created)`,
		`accounts? server (of|for) (the|your)`, `use instance_url`, `(correct|right|proper|regional) (api |base |request )?url\b`,
		`url .{0,20}(matches|match|for) (your|the) (account'?s? )?(region|data ?cent(er|re)|instance|server)`, `redirect(ed)? to your (region|data ?cent(er|re))`,
		`(invalid|unknown|not found|does not exist|not valid|no such)\b.{0,40}\b(for|in|on) (this |the |that )?(cluster|region|data ?cent(er|re)|shard|pod)\b`,
		`use the (eu|us|uk|au|ca|jp|in|de|apac|emea|asia|europe|regional|[a-z]{2}\d) (api |base )?(endpoint|region|url|host|domain|data ?cent(er|re)|cluster|instance)\b`,
		// A retired endpoint or version: the API moved on.
		`\b(endpoint|api|version|method|route|path|url)s?\b.{0,40}\bno longer (supported|available|served|maintained|exists?)\b`,
		`no longer supports? (requests|calls|this (endpoint|version|api|method))`,
		`\b(endpoints?|apis?|versions?|v\d+)\b.{0,40}\b(has|have) been (removed|retired|decommissioned|discontinued|sunset|shut down)`,
		`(endpoint|api|version|method|route|path)s? (is |are |was |were |has been |have been )?(deprecated|retired|decommissioned|discontinued|sunset|sunsetted)\b`,
		`(deprecated|retired|decommissioned|discontinued|sunset) (endpoint|api|version|method|route)s?\b`,
		`\b(api|endpoint|version)\b \S{1,12} (is|are|has been|have been|was) (deprecated|retired|decommissioned|discontinued|sunset|removed)\b`, `please use (the )?(/?v\d|version \d|api v\d|new (endpoint|api|version))`}},
	// Time.
	{ClockSkew, []string{`requesttimetooskewed`, `clock skew`, `time too skewed`, `signature expired:`, `request time .{0,40}(too|out of)`, `date header .{0,20}(too old|expired|invalid)`,
		`time ?stamp .{0,30}expired`, `timestamp .{0,60}(from local time|minutes)`,
		`timestamp .{0,40}(too old|too far|out of range|outside|skew)`, `(clock|system time) .{0,30}(wrong|out of sync|incorrect)`}},
	{TokenNotYetValid, []string{`not (yet )?valid (yet|before)`, `not yet valid`, `used before`, `\bnbf\b`, `idx10222`, `before .{0,20}issued`,
		`issued in the future`, `iat .{0,20}future`, `not active yet`, `jwt not active`, `too early`}},
	{CredentialRevoked, []string{`revoked`, `(token|key|credential|api key|developer|account|app|application|client|member)s? (is |was |has been )?(not active|inactive)\b`, `account (is )?not active`, `token_revoked`, `deactivated`, `account_inactive`, `(account|user|key|token|client|credential|app|application|integration)( is| has been| was)? (disabled|suspended|deleted|removed|uninstalled)`,
		`no longer active`, `invalidated`, `rotated`}},
	{CredentialRevoked, foreignRevoked},
	{TokenExpired, []string{`expired`, `\bexp\b`, `expiredtoken`, `token_expired`, `lifetime validation failed`, `idx10223`, `session expired`,
		`invalid_session_id`, `\bsid\b.{0,20}(not found|invalid|expired|unknown)`, `session( id)? not found`, `session[ _-]?(id|key|token|cookie) (is |has )?(no longer valid|invalid|expired|ended|timed out)`, `request has expired`, `expiry .{0,60}earlier than`, `invalid session`, `session (is )?(invalid|not found|unknown|no longer valid)`, `session (has )?(ended|timed out|timeout)`, `session .{0,20}terminated`, `\bre-?login\b`, `(log|sign) ?in again`, `(token|session|credential)s? .{0,20}(past|beyond) (its|their) (expiry|expiration)`,
		`(token|session|key|credential|jwt|cookie)s? (is |are |has |have |was )?(been )?(lapsed|stale|outdated|timed out|out of date)`}},
	{TokenExpired, foreignExpired},
	// Environments.
	{WrongEnvironment, []string{`test mode`, `wrong mode`, `(live|test|sandbox|production) ?/ ?(live|test|sandbox|production) (api )?keys`, `live mode`, `sandbox`, `wrong environment`, `another environment`, `different environment`,
		`(production|staging|development|test) (key|token|credential)s? .{0,30}(not|cannot|only)`, `(test|live) (api )?key`,
		`(paper|live|test|sandbox|demo|production|testnet|mainnet)( trading)?( api)? (keys?|tokens?|credentials?|accounts?) .{0,50}(live|paper|production|sandbox|test|demo|testnet|mainnet)\b`,
		`(keys?|tokens?|credentials?) (is |are )?(for|from) (the )?(sandbox|test|live|production|paper|demo) (environment|mode|api|account)`,
		`(environment|env|mode) (mismatch|does not match|doesn't match)`, `(does not|doesn't|do not|don't) match (the )?(current |this |your )?(environment|mode)\b`, `current environment`,
		`(for|from|belongs? to|created (in|for)|issued (for|in)|valid (only )?(for|in)|works only in|only works (in|with)|can only be used (in|with|on)|meant for|intended for) (the |a |your )?` + envWord + ` (environment|mode|account|server|api|system|keys?|credentials?|endpoint)`,
		`(for|from|belongs? to|created in|issued (for|in)|valid (only )?(for|in)|only works (in|with)|can only be used (in|with|on)|meant for|intended for|sent to) (the |a )?(sandbox|production|staging|testnet|mainnet)\b`,
		envWord + ` (account )?credentials`, envWord + ` (environment|endpoint|server|base url|system)`, `(sandbox|production|live|test) (and|vs\.?|versus|or) (sandbox|production|live|test) (environment|mode|key|credential)`}},
	// The user name a token goes with.
	{BasicUsernameWrong, []string{`(user ?name|login) (must|should) be`, `use .{0,40} as (the )?(user ?name|login)`, `username (is )?(ignored|not used|must match)`,
		`(api[- ]?key|api token|access token|token|key|secret) as (the |your )?(user ?name|login|password)\b`, `(leave|with) (the )?password (empty|blank)`, `password (must|should) be (empty|blank|left blank)`,
		`(user ?name|login) (must|should) (contain|match|end with|include)`, `(expected|expects?) (the )?(user ?name|login)\b`, `(user ?name|login) (field|part|slot)\b`}},
	// Kinds of credential.
	{WrongTokenKind, []string{
		`(requires?|needs?|expects?|expected|(must|should) be|only accepts?|accepts? only|must (use|be called with|be (made|authenticated|accessed|used) with)|(only )?(works|available|allowed|supported|usable) (only )?with|can only be (used|called|accessed) with|is only for) (an? |the |your )?` + tokenKind + ` (level |scoped |access |api |auth )?(token|key|api key|credential|access token)s?\b`,
		tokenKind + ` (level |scoped |access |api |auth )?(tokens?|keys?|api keys?|credentials?) (is |are )?(not|cannot|can't|can not|may not) (be )?(allowed|supported|accepted|permitted|used|usable)`,
		`(not|isn't|is not|aren't|are not) an? ` + tokenKind + ` (level |scoped |access |api )?(token|key|api key|credential)`,
		`\b(is|was) an? ` + tokenKind + `[- ](level |scoped |access |api )?(token|key|api key|credential)\b.{0,40}\b(but|instead|not|where|rather)\b`,
		`\b(only|just) ` + tokenKind + `[- ](level |scoped |access |api )?(tokens?|keys?|api keys?|credentials?) (are |is )?(accepted|allowed|supported|valid|permitted)`,
		`(wrong|incorrect|unexpected|unsupported) (kind|type) of (token|key|credential|api key|authentication)`, `(token|key|credential) kind`,
		`(endpoint|method|resource|operation|route|api|action|request|call|function)s? .{0,40}(only|requires?|needs?|must (use|be (called|used|made|accessed) with)|cannot be (used|called|accessed) with|not (allowed|supported|available|permitted) (with|for)) .{0,30}\b` + tokenKind + ` (level |scoped |access |api )?(tokens?|keys?|api keys?|credentials?|auth(entication)?|context)\b`,
		`(use|with|using) (an? |your )?` + tokenKind + ` (token|key) instead`, `instead of (an? |your )?` + tokenKind + ` (token|key)`,
		`\b` + tokenKind + `[- ](level |scoped |access |api )?(tokens?|keys?|credentials?|auth(entication)?) (is |are |was |were )?(only|required|expected|needed|not found|(used|sent|provided|given) (where|instead|but|in place))`, `(only )?valid with delegated`, `application permissions? (is |are )?not supported`,
		`(oauth( ?2(\.0)?)?|api tokens?|api keys?|personal access tokens?|app passwords?|access tokens?|service account tokens?|user tokens?) (is |are )?not (enabled|supported|allowed|accepted|permitted) (for|on|by|with|in) (this|the) (method|endpoint|api|resource|operation|route|call|request)`,
		`(bots?|apps?|applications?|integrations?) cannot use this`, `only (bots|apps|users|applications) can use`, `not allowed with this (api )?key`,
		`for an entire [\w ]{0,30}team`, `access token authorized to an? [\w ]{0,20}app\b`,
		`publishable (api )?key`, `use a secret (api )?key`, `passwords? (is|are) deprecated`, `basic authentication with passwords`,
		`password authentication .{0,30}(removed|no longer|not supported)`, `use an? (api|access|personal access) token`,
		`app(lication)?[- ]specific password`, `account password (cannot|can't|may not|is not|isn't|must not)`, `instead of (your|the|an) (account )?password`,
		`(create|generate|use) an? (api token|app password|personal access token|application password|access token) instead`, `app password`, `app[- ]only`, `application[- ]only`, `(requires?|needs?) (a )?user (context|token|access token|authentication)`,
		`user context`, `user[- ]level (api )?(key|token)`, `delegated (permission|token|authentication)`, `on behalf of a user`, `must be authenticated as a user`,
		`(installation|server-to-server|client credentials?) (token )?(is )?(not (allowed|supported|permitted)|cannot)`,
		`service account .{0,30}(not (allowed|supported)|cannot)`, `requires? (an? )?(oauth|user) (access )?token`, `not (supported|allowed) (for|with) (this )?(token|credential) type`,
		`personal access tokens? (are|is) (not|required)`, `(app|application) (access )?tokens? (are|is) not (allowed|supported|accepted)`,
		`service accounts? (cannot|can't|may not|are not allowed)`,
		`(app|application|bot|client credentials?( grant)?|service account|machine|server-to-server|installation|app-only)( access)? tokens? (cannot|can't|can not|may not|are not allowed|is not allowed|are not supported|is not supported|not allowed)`,
		`(does not|doesn't) (support|accept|allow) (service account|app|application|bot|client credentials?|app-only|installation) (access )?tokens?`, `api keys? (cannot|can't|may not) be used`, `token auth(entication)? (is )?required`}},
	{WrongTokenKind, []string{`access_token_type_unsupported`, `unsupported token type`, `wrong type of (token|credential)`, `token type .{0,20}not supported`,
		`api keys are not supported`, `not_allowed_token_type`, `unsupported app only token`}},
	// The scheme.
	{SchemeMismatch, []string{`(authorization|authentication|auth) scheme (must|should) be`, `(must|should) use the [\w-]+ (authorization |authentication )?scheme`, `unsupported (authorization|authentication|auth) (scheme|type|method)`, `(scheme|authentication type|auth type) .{0,20}not (supported|allowed|accepted)`,
		`\b(basic|bearer|digest|ntlm|negotiate) (auth(entication)? )?(is )?not (supported|allowed|accepted|enabled)`, `expected (a )?(bearer|basic) (token|auth)`,
		`only (bearer|basic) (auth|authentication|tokens?) (is |are )?(supported|accepted|allowed)`, `invalid (authorization|authentication) scheme`}},
	// Companion headers.
	{CompanionHeaderMissing, []string{`\b[a-z-]*version\b.{0,40}(required|missing|must be|should be defined)`, `specify an? (api[- ])?version`, `missing_version`, `otp code`,
		`client[-_ ]?id.{0,20}(required|missing)`, `x-goog-user-project`,
		`(client|tenant|org(ani[sz]ation)?|account|workspace|project|app(lication)?|company|realm|partner|merchant|customer|subscription)[-_ ]?id (is |was )?(required|missing|not (provided|specified|set|sent))`,
		`missing (the |a )?(client|tenant|org(ani[sz]ation)?|account|workspace|project|app(lication)?|company|realm|merchant|subscription)[-_ ]?id\b`, `user project`, `quota project`}},
	// Nothing, or nothing usable, arrived.
	{CredentialsMissing, []string{`^\W*anonymous (access|user|users|request|requests|caller|callers)s? .{0,20}(denied|not allowed|forbidden|disabled|rejected|not permitted|not enabled)`, `(x-api-key|api[-_ ]key|authorization|auth|token) header (is )?(required|missing|not found|not present|was not)`, `no api key found`,
		`failed to resolve api key`, `credentials were not provided`, `not authenticated`,
		`no (api key|token|credentials|authorization( header)?|auth(entication)? (token|credentials|header)|bearer token|access token) .{0,20}(provided|found|supplied|present|given|sent)`,
		`you did(n't| not) provide`, `(have not|haven't|has not|hasn't) (provided|supplied|sent|included|passed)`, `missing (api key|authentication|authorization|bearer|token|credentials|access token|auth)`, `missingauthenticationtoken`,
		`requires authentication`, `authentication required`, `authentication is required`, `authentication credentials .{0,20}missing`, `unregistered callers`,
		`system:anonymous`, `login required`, `not_authed`, `no authorization token was found`, `unauthenticated request`,
		`credentials? (were |was )?not (found|supplied|present)`, `anonymous access is disabled`,
		`must (be logged in|log in|sign in|authenticate)`, `please (log ?in|sign ?in|authenticate)`, `not logged in`, `need to (sign|log) in`,
		`api key (is )?(required|missing)`, `(key|token) (is )?required`, `no session`, `missing required authentication`,
		`missing [a-z-]+(, [a-z-]+)* or authorization headers?`, `(token|key|credentials?) (is|are) empty`, `must be authenticated`, `missing .{0,15}(token|api key|credentials)`,
		`(no|missing|without) (an? )?(api[-_ ]?key|auth(entication|orization)? (token|header|key)|access token|bearer token|token|credentials?)\b`, `\bmissing (an? |the )?x-[\w-]*(key|token)\b`,
		`(api[-_ ]?key|auth(entication)? token|access token|bearer token|token|credentials?) (is |are |was |were )?(missing|required|not (provided|supplied|present|given|sent|passed))`,
		`(provide|supply|pass|include|send) (an? |the |your )?(api[-_ ]?key|token|access token|credentials?|authorization header)\b`,
		`requires (an? |the )?(api[-_ ]?key|token|access token|authentication|login)\b`, `missing (the |an? |your )?([\w-]+ )?(api[-_ ]?key|key|token|credentials?)\b`, `login is required`, `(need|have) to be logged in`}},
	{CredentialsMissing, foreignMissing},
	{HeaderFormat, []string{`malformed`, `not well formed`, `(incorrectly|wrongly|improperly) (formatted|formed|encoded)`, `idx14100`, `idx12741`, `invalid (format|authorization header|header)`, `must be in the form`,
		`bad authori[sz]ation (header|string|value)`, `\binvalid_request\b`, `could not be parsed`, `not a valid jwt`, `jwt must have`, `header_format`, `invalid character`,
		`(unable|failed) to (parse|decode)`, `(could not|cannot|can't) (parse|decode)`, `(token|header|credential|jwt)s? format (is )?(invalid|wrong|incorrect)`,
		`(must|should) (start|begin) with`, `(bearer|basic|token) prefix`, `badly (formatted|formed)`, `could not be decoded`, `segments`, `invalid .{0,20}header`, `should not contain spaces`,
		`base64 encoded`, `invalid key=value pair`, `parsing failed`, `correct format`, `invalidauthenticationinfo`, `header format`, `wrong number of segments`, `invalid base64`, `illegal base64`, `token contains an invalid number of segments`}},
	{CompanionHeaderMissing, []string{`user[- ]agent (header )?(is )?(required|missing|must|needed)`, `(set|send|provide|include|identify) .{0,40}user[- ]agent`, `(customi[sz]e|change|unique|custom|descriptive|real) .{0,20}user[- ]agent`, `user[- ]agent policy`,
		`(missing|required) (request )?header`, `header .{0,30}(is )?(required|missing)`, `missing .{0,30} header`,
		`(must|should) (include|send|provide|specify) (the|a|an) .{0,40}header`,
		`make sure your request has an? .{0,30}header`, `no .{0,20}request header`, `must provide (the )?(http )?header`, `missingrequiredheader`,
		`mandatory .{0,40}not specified`, `issued with an? .{0,30}header`, `(include|add|send|set) the [\w-]+ header`}},
	// Permissions (403 and its disguises).
	{InsufficientScope, []string{`higher privileges`, `insufficient.{0,20}scope`, `scope_insufficient`, `missing_scope`, `required scope`,
		`not have (the )?(required )?(permission|scope|access)`, `insufficient privileges`, `not accessible by`, `permission_denied`,
		`authorization_requestdenied`, `accessdenied`, `access denied`, `is forbidden`, `cannot (get|list|create|update|delete|watch|patch)`,
		`is unauthorized for user`, `not authorized to perform`, `authorizationpermissionmismatch`, `insufficient permissions`, `not authorized to access`,
		`explicit deny`, `does not have authorization`, `(does not|doesn't) contain scopes?`, `requires .{0,40}scope`, `scope does not match`,
		`requested access .{0,30}denied`, `missing (access|permissions)`, `additional permissions`, `permissions needed`, `sufficient permissions`,
		`scp or roles`, `missing the .{0,40}permission`, `required role`, `\brole (is |was )?(required|needed|missing)`, `(admin|administrator|owner|maintainer|manager)s? (role |rights |access |privileges? )?(is |are )?(required|needed|only)`,
		`requires? (the )?.{0,20}(admin|administrator|owner|role|permission|privilege)`, `must be (an? )?(admin|administrator|owner|member|maintainer)`,
		`only (admins|administrators|owners|maintainers)`, `(need|needs|require|requires|requiring) (the |an? )?[\w-]+ role`,
		`only ([\w-]+ )?(owners|admins|administrators|maintainers|members) can`, `(lacks?|missing) (the )?(permission|role|privilege|scope)`, `permission .{0,40}(required|needed|missing)`,
		`not (allowed|permitted) to`, `don't have (the )?(permission|access)`, `do not have (permission|access)`, `insufficient (access|rights|role)`,
		`no permission`, `not enough (permissions|privileges|rights)`, `forbidden for (this )?(user|role|token|key)`,
		`not (an? |the )?([\w-]+ ){0,2}(admin|administrator|owner|superuser|maintainer|management user|moderator|staff member)\b`,
		`only (be )?(accessed |performed |used )?(by )?(the )?(superusers?|admins?|administrators?|owners?|maintainers?|staff)\b`, `(superusers?|admins?|administrators?) only`,
		`outside (of )?(the )?(authorized|granted|allowed|permitted|token's) scopes?`, `\bacl not found`, `acl (token )?(does not|doesn't) (grant|allow)`,
		`(is ?n[o']t|is not|are not|aren't|not) authori[sz]ed (to|for) (access|perform|use|call|view|read|write|create|update|delete|do|make|execute|manage|list|this)`,
		`(does not|doesn't|do not|don't) have (the )?(necessary |required |sufficient |enough )?(permissions?|privileges?|rights|roles?|access rights)`,
		`unauthori[sz]ed[ _]scopes?`, `not allowed by (the |this )?(current |granted |token'?s? |key'?s? )?(oauth |api )?scopes?`,
		`unauthori[sz]ed access (type|level)`, `access (type|level) (is )?(not (allowed|authori[sz]ed|permitted|sufficient)|insufficient)`, `insufficient[ _](permissions?|privileges?)`, `scopes? (is |are )?(missing|required|not granted|insufficient)`, `not (in|part of) the (required )?(group|role|team)`,
		`(user|token|key|account|client|app|application) (does not|doesn't) have (access|permission)`,
		`lacks? (the )?(necessary |required |needed |sufficient )?(permissions?|privileges?|roles?|scopes?|rights|access)`,
		`roles? (does not|doesn't|do not|don't) (allow|permit|grant)`, `not (a|an) (member|collaborator|participant) of`,
		`(user|token|key|you|caller|client|account) (cannot|can't|can not|may not) access`, `must have (the )?[\w-]+ (rights|role|permissions?|access|privileges?)`,
		`(only|just) (users|accounts|members|callers|tokens|keys|clients|those) (with|having|that have|who have) (the |an? )?[\w:-]+ (role|permission|scope|privilege|access|rights)`, `missing (required )?(permission|scope|role|privilege)s?\b`,
		// What is lacking named by its kind of access: "needs the
		// following scopes", "does not have write access", "lacks the
		// read_api scope", "only has read access", "a read-only key".
		`(need|needs|require|requires|requiring) (the following |these |this |an? |the )?(additional |extra |more )?(scopes?|permissions?|privileges?)\b`,
		`(does not|doesn't|do not|don't) (provide|grant|include|carry) (the )?(required|necessary|needed|sufficient) (permissions?|scopes?|privileges?|access)`,
		`(does not|doesn't|do not|don't) have ` + accessKind + ` (access|permissions?|privileges?|rights)`, `only (has|have) ` + accessKind + ` (access|permissions?|privileges?|rights)`,
		`lacks? (the |an? )?[\w:./'"-]+ (scopes?|permissions?|roles?|privileges?|rights)\b`,
		`read[- ]only (api |access )?(keys?|tokens?|credentials?)\b`, `(keys?|tokens?|credentials?) (is|are) read[- ]only`,
		`not authori[sz]ed for (the |this )?(requested )?(resource|endpoint|operation|action|method)`,
		// A key the server read and found valid that does not reach this:
		// "key valid but does not permit this endpoint"; a database role's
		// missing grant: "permission denied for table todos" (PostgREST).
		`\b(keys?|tokens?|credentials?)\b.{0,30}\b(does not|doesn't|do not|don't) (permit|allow) (access to )?(this|the requested|the) (endpoint|resource|operation|action|method|path|api)\b`,
		`permission denied for (table|schema|relation|view|function|sequence|database)\b`,
		// A key limited to some models, projects or resources: "This key
		// can only access models=[…]".
		`\b(keys?|tokens?|credentials?)\b.{0,20}\b(can|may) only (access|use|call|reach)\b`}},
	{InsufficientScope, foreignScope},
	{Forbidden, []string{`saml enforcement`, `\bsso\b`, `gated`, `not in the authorized list`, `restricted and you`, `blocked`,
		`organization .{0,30}(policy|restricts)`, `restricted by (an? )?(policy|administrator|organization)`, `not permitted`, `forbidden by policy`, `terms of service`,
		`not enabled for`, `has not been used in project`, `is disabled for`, `enable billing`, `credit balance`, `purchase credits`, `insufficient (funds|credits|balance)`, `billing (is )?(not enabled|disabled|required)`, `conditional access`,
		`is not enabled for this`}},
	{TooManyFailures, []string{`rate[_ ]?limit`, `limit .{0,60}(has been |was |is )?(exceeded|reached)`, `calls per (second|minute)`, `requests? .{0,60}exceeded`, `exceeded your current quota`, `rate exceeded`, `too many (requests|attempts|failed)`, `throttl`, `quota`, `slow down`}},
	{TooManyFailures, foreignRateLimit},
	// Unknown credentials, then plain refusals.
	{CredentialUnknown, []string{`invalid (x-)?api[-_ ]?(key|token)`, `incorrect api key`, `api key (not valid|invalid|is invalid|not found|is not valid|does not exist)`,
		`unknown (api )?key`, `no such (api )?key`, `invalidclienttokenid`, `security token included in the request is invalid`, `unrecognizedclientexception`,
		`unrecognized login`, `invalid_api_key`, `api key invalid`, `api_key_invalid`, `key not found`, `does not exist`, `(token|key) not found`,
		`unknown (token|user|client|account)`, `no (such )?(user|account|client) (found|exists)`, `invalid_key`, `bad api key`, `wrong api key`, `invalid key`,
		`(user|account|client) not found`, `not a valid (api )?key`, `invalid .{0,30}api[-_ ]?key`, `invalid client[_ ]?id`, `api key .{0,20}(is )?invalid`,
		`not contain a valid`, `(api[-_ ]?key|key) ((you )?(provided|supplied|sent|used|passed|specified|entered) |given )?(is |was )?(not valid|incorrect|unknown|unrecognized|not recognized|does ?n[o']t exist)`,
		`(unknown|unrecognized|incorrect|wrong|bad) (api[-_ ]?)?key`,
		`no (user|account|client|app|application|project) (with|for|matching) (this|that|the|your) (api[-_ ]?key|key|token)`, `api[-_]?key (is |was )?(invalid|not valid|unknown)`,
		`invalid app(lication)?[-_ ]?id`, `unknown app(lication)?[-_ ]?id`, `(invalid|unknown|incorrect|wrong) (api )?access[-_ ]?key`,
		`(api[-_ ]?key|\bkey|token|client[-_ ]?id|credential)s?( you (sent|provided|supplied|used))? (was |were |could |can |is )?not (be )?found`,
		`(could not|cannot|can't|unable to) find (the |your |an? |this )?(api[-_ ]?key|key|token|access token|client|credential)`,
		`\b(api|access|service|license|licence|developer|app|account)[-_ ]?(access[-_ ]?)?key (is|was) (invalid|not valid)`, `\binvalid_([a-z]+_){1,2}key\b`,
		`\b(token|key|credential)s? (is |was )?(not recognized|not recognised|unrecognized|unrecognised)`}},
	{CredentialUnknown, foreignUnknown},
	{CredentialsRejected, []string{`bad credentials`, `invalid[_ ]auth`, `invalid (access |bearer |auth(entication)? )?token`, `invalid credentials`,
		`invalid authentication credentials`, `authentication failed`, `authenticationfailed`, `unauthorized`, `unauthorised`, `unable to authenticate`,
		`could not be verified`, `could not verify`, `token verification failed`, `access token validation failure`, `notauthorizedexception`,
		`invalid_grant`, `invalid_client`, `wrong password`, `incorrect (password|username|credentials)`, `invalid (password|username|user name|login)`,
		`login failed`, `token is invalid`, `is not valid`, `(token|key|credentials?)( provided)? (is|are) invalid`, `authenticate`, `unauthenticated`,
		`invalid_token`, `access token is invalid`, `not a valid token`, `bad token`, `wrong (credentials|token)`, `could not validate credentials`,
		`invalid[_ ](access[_ ])?token`, `token invalid`, `no longer valid`, `invalid .{0,20}password`, `failed to authenticate`, `(wrong|invalid|incorrect|bad) (user ?name|login|e-?mail) or password`,
		`\b(password|passcode|passphrase|user ?name|login|credentials?) (is |are |was |were )?(incorrect|invalid|wrong|not valid|not correct)\b`}},
	{CredentialsRejected, foreignRejected},
	// Bare refusals: read, and outranked by anything that says why.
	{CredentialsRejected, []string{`forbidden`, `permission[ _]denied`, `access[ _]?denied`, `authentication error`, `authori[sz]ation required`,
		`not authori[sz]ed`, `unauthori[sz]ed`}},
	{CredentialsRejected, foreignBare},
}

// tokenKind and envWord are the words that name a kind of credential
// ("a server token", "an app-only token", "a user-level key") and an
// environment ("the sandbox", "live mode").
const (
	tokenKind = `(user|account|server|app|application|app-only|personal|service|bot|admin|administrator|organi[sz]ation|org|workspace|team|project|` +
		`installation|machine|master|management|secret|private|restricted|publishable|public|integration|partner|tenant|site|global|` +
		`read[- ]only|search[- ]only|write|member|developer|storefront|admin api|delegated|refresh)`
	envWord = `(sandbox|test|testing|live|production|prod|staging|development|dev|demo|paper|testnet|mainnet|trial)`
	// accessKind are the kinds of access a grant names ("write access",
	// "read-only permissions").
	accessKind = `(read|write|read/write|read-write|read-only|admin|edit|delete|manage|owner|full|view|viewer)`
)

// compiledRules are rules' phrases, one matcher a rule (needles.go),
// compiled when first classified: every command of the binary links the
// doctor, and only the doctor reads them (some 2.5 MiB of compiled
// expressions, 20 ms of every start).
var compiledRules = sync.OnceValue(func() []ruleMatcher {
	out := make([]ruleMatcher, len(rules))
	for i, r := range rules {
		out[i] = newRuleMatcher(r.phrases)
	}
	return out
})

// bareRefusal is a statement that only refuses: the words of a status
// line or a generic error code, naming no cause. It is read, and counts
// when nothing else in the answer says why.
var bareRefusal = lazyregexp.New(`(?i)^[^\pL\pN_]*(error[^\pL\pN_]*)?(http[^\pL\pN_]*)?(\d{3}[^\pL\pN_]*)?(error[^\pL\pN_]*)?(unauthori[sz]ed|forbidden|access[ _]?denied|permission[ _]denied|not authori[sz]ed|` +
	`access forbidden|unauthori[sz]ed access|authentication (failed|error)|authori[sz]ation (failed|error|required)|not allowed|denied|access is denied|` +
	`you are not authori[sz]ed|request forbidden|unauthenticated|permission_denied|authentication_error|authentication_failed|auth_error|` +
	`forbidden error|not permitted|request not authorized|you do not have access|access not allowed|no access|invalid request|` +
	`unauthorizedexception|forbiddenexception|accessdeniedexception|accessdenied|unauthorizederror|` +
	// Apache's and Akamai's boilerplate 403.
	foreignBareRefusal + `|you don'?t have permission to access (this resource|.{0,120} on this server)( reference #?[\w.]+)?)([^\pL\pN_]*(error|exception))?[^\pL\pN_]*$`)

// barePrefix is a bare refusal that introduces the reason: "Access
// denied: …", "Unauthorized - …", "403 Forbidden. …".
var barePrefix = lazyregexp.New(`(?i)^[^\pL\pN_]*(\d{3}[^\pL\pN_]*)?(unauthori[sz]ed|forbidden|access[ _]?denied|permission[ _]denied|not authori[sz]ed|` +
	`authentication failed|authori[sz]ation failed|access forbidden)\s*[:.\-–;,]\s+`)

// isBare reports whether a statement only refuses.
func isBare(st Statement) bool { return bareRefusal.MatchString(strings.TrimSpace(narrow(st.Text))) }

// classify returns the index of the first rule one statement matches, or
// -1.
func classify(st Statement) int {
	text := notExpired.ReplaceAllString(narrow(st.Text), "")
	if m := barePrefix.FindStringIndex(text); m != nil && m[1] < len(text) {
		text = text[m[1]:] // "Access denied: your token does not exist"
	}
	if i := firstRule(text); i >= 0 || strings.ContainsRune(text, ' ') {
		return i
	}
	return firstRule(codeWords(text)) // INVALID_API_KEY, ExpiredToken, ip-not-whitelisted
}

// notExpired is a credential asked for as "not expired" ("requires a
// valid, not expired APIKey value"): a condition, not a statement that it
// expired.
var notExpired = lazyregexp.New(`(?i)\b(not|non|un)[- ]?expired\b`)

// firstRule returns the index of the first rule text matches, or -1.
func firstRule(text string) int {
	folded := fold(text)
	for i, m := range compiledRules() {
		if m.matches(text, folded) {
			return i
		}
	}
	return -1
}

// codeWords spells an error code as words: underscores, dashes and dots
// become spaces, and camel case is split ("AccessTokenExpired" → "Access
// Token Expired").
func codeWords(code string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range code {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ':':
			b.WriteRune(' ')
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			b.WriteRune(' ')
		}
		b.WriteRune(r)
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	return b.String()
}

// specificity ranks a classified statement: 3 names a cause, 2 is a
// generic "the credentials are rejected", 1 a refusal of permission that
// does not say what is lacking ("You are not permitted to perform this
// action"), 0 a bare refusal. A credential the server finds invalid is
// refused whatever its permissions, so "The API key is invalid" explains
// "you are not permitted to view the requested resource" beside it, not
// the other way round.
func specificity(st Statement, i int) int {
	switch {
	case isBare(st):
		return 0
	case rules[i].code == InsufficientScope && !namesLack.MatchString(st.Text):
		return 1
	case rules[i].code == CredentialsRejected:
		return 2
	}
	return 3
}

// namesLack: a permission statement that says what the credential lacks
// (a scope, a role, a named permission, a membership, a plan).
var namesLack = lazyregexp.New(`(?i)scope|\broles?\b|admin|owner|superuser|maintainer|management user|\bacl\b|permissions? ?[:'"‘“(\[]|` + accessKind + ` (access|permissions?|privileges?|rights)|read[- ]only|` +
	`the [\w:./-]+ permission|[\w-]+[:.][\w:.-]+ (permission|privilege)|privilege|\bplan\b|subscription|licen[cs]e|member|\bgroup\b|\bteam\b|polic(y|ies)|permissions? to [a-z]+_[a-z_]+|(can|may) only (access|use|call|reach)\b`)

// statedCause returns the most specific cause the server's statements
// name: a statement that names a cause outranks a generic rejection,
// which outranks a bare refusal ("Unauthorized", "Access denied"); among
// the statements of the same rank, the one whose rule comes first in the
// lexicon wins (so "AccessDenied: Request has expired" is an expiry).
func (s ServerSays) statedCause() (stated, bool) {
	best, bestRank, bestRule := stated{}, -1, len(rules)
	for _, st := range s.Statements {
		if st.split {
			continue // its parts are weighed, each on its own
		}
		i := classify(st)
		if i < 0 {
			continue
		}
		r := specificity(st, i)
		if r > bestRank || r == bestRank && i < bestRule {
			best, bestRank, bestRule = stated{rules[i].code, st}, r, i
		}
	}
	return best, bestRank >= 0
}
