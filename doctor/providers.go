package doctor

import (
	"strings"
)

// Provider is what the doctor knows about how one API, identity provider
// or server signals authentication failures: how to recognise its
// answers, where it wants the credential, its token shapes. The table is
// knowledge, not the mechanism: a service in no row is still diagnosed
// from its own words, its challenge and the probes.
type Provider struct {
	Name string
	// Docs is where the behaviour is documented.
	Docs string
	// Hosts are API host names (or suffixes) of the service.
	Hosts []string
	// Signs recognise its answers: "header:Name" (present),
	// "header:Name=text", "server:text", "realm:text", "challenge:text"
	// (any challenge parameter), "body:text", "location:text" (all
	// case-insensitive substrings). The provider with the most signs wins.
	Signs []string
	// Expects says, for people, how it wants the credential.
	Expects string
	// Schemes are the Authorization schemes it reads ("" when none).
	Schemes []string
	// KeyHeader is the header it reads a key from, when it has one.
	KeyHeader string
	// Prefixes are the prefixes of its credentials; KeyPrefixes those of
	// the keys that go in KeyHeader, never in Authorization.
	Prefixes    []string
	KeyPrefixes []string
	// WantsIDToken: it takes OpenID Connect ID tokens, not access tokens.
	WantsIDToken bool
	// TokenAsPassword: Basic is accepted only with a token (one of
	// Prefixes) as the password, never the account password.
	TokenAsPassword bool
	// Companions are headers it requires beside the credential.
	Companions []string
	// Hides404: it answers 404, not 403, for what the credential may not
	// see.
	Hides404 bool
	// Note is what people most often get wrong with it.
	Note string
}

// providers: every row cites where its behaviour is documented (Docs).
var providers = []Provider{
	{Name: "GitHub", Docs: "https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api",
		Hosts: []string{"api.github.com"}, Signs: []string{"header:X-GitHub-Request-Id", "header:X-GitHub-Media-Type"},
		Expects: "Authorization: Bearer <token> (or token <token>; Basic only with a token as the password)", Schemes: []string{"Bearer", "token", "Basic"},
		Prefixes: []string{"github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, Hides404: true, TokenAsPassword: true,
		Note: "answers 404 for private resources the token cannot see; X-Accepted-OAuth-Scopes names the scopes a call needs; SAML SSO organisations need the token authorised for them"},
	{Name: "GitLab", Docs: "https://docs.gitlab.com/api/rest/authentication/",
		Hosts: []string{"gitlab.com"}, Signs: []string{"header:X-Gitlab-Meta", "realm:gitlab"},
		Expects: "PRIVATE-TOKEN: <token>, or Authorization: Bearer <token>", Schemes: []string{"Bearer"}, KeyHeader: "PRIVATE-TOKEN",
		Prefixes: []string{"glpat-", "gldt-", "glptt-", "gloas-"}, Hides404: true,
		Note: "answers 404 for projects the token cannot see"},
	{Name: "Stripe", Docs: "https://docs.stripe.com/api/authentication",
		Hosts: []string{"api.stripe.com"}, Signs: []string{"header:Stripe-Version", "realm:stripe"},
		Expects: "Authorization: Bearer sk_live_… (or Basic with the key as user name)", Schemes: []string{"Bearer", "Basic"},
		Prefixes: []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_"},
		Note:     "test and live keys see different objects; publishable keys (pk_) cannot call the server API"},
	{Name: "Twilio", Docs: "https://www.twilio.com/docs/usage/requests-to-twilio",
		Hosts: []string{"api.twilio.com"}, Signs: []string{"header:Twilio-Request-Id", "realm:twilio"},
		Expects: "Basic <AccountSid or API key SID>:<auth token or secret>", Schemes: []string{"Basic"},
		Note: "error code 20003 is 'Authenticate': wrong SID or token"},
	{Name: "Slack", Docs: "https://api.slack.com/web#authentication",
		Hosts: []string{"slack.com"}, Signs: []string{"header:X-Slack-Req-Id", "header:X-Slack-Backend"},
		Expects: "Authorization: Bearer xoxb-… (bot) or xoxp-… (user)", Schemes: []string{"Bearer"},
		Prefixes: []string{"xoxb-", "xoxp-", "xoxa-", "xoxe-", "xapp-"},
		Note:     "answers HTTP 200 with {\"ok\":false,\"error\":\"invalid_auth\"}: the status says nothing"},
	{Name: "OpenAI", Docs: "https://platform.openai.com/docs/api-reference/authentication",
		Hosts: []string{"api.openai.com"}, Signs: []string{"header:Openai-Version", "header:Openai-Organization", "header:Openai-Processing-Ms"},
		Expects: "Authorization: Bearer sk-…", Schemes: []string{"Bearer"}, Prefixes: []string{"sk-proj-", "sk-svcacct-", "sk-admin-"},
		Note: "invalid_api_key for unknown keys; a project key only works for its project"},
	{Name: "Anthropic", Docs: "https://docs.anthropic.com/en/api/overview",
		Hosts: []string{"api.anthropic.com"}, Signs: []string{"header:Anthropic-Organization-Id", "body:authentication_error", "body:\"type\":\"error\",\"error\":{"},
		Expects: "x-api-key: sk-ant-… and anthropic-version: 2023-06-01", KeyHeader: "x-api-key", Prefixes: []string{"sk-ant-"}, KeyPrefixes: []string{"sk-ant-"},
		Companions: []string{"anthropic-version"},
		Note:       "the key goes in x-api-key, not Authorization; anthropic-version is required"},
	{Name: "AWS API Gateway", Docs: "https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden",
		Hosts: []string{"execute-api.amazonaws.com"}, Signs: []string{"header:X-Amz-Apigw-Id", "header:X-Amzn-Errortype"},
		Expects: "x-api-key for usage plans, Authorization for Lambda/JWT/Cognito authorizers, SigV4 for IAM", KeyHeader: "x-api-key",
		Schemes: []string{"Bearer", "AWS4-HMAC-SHA256"},
		Note:    "'Missing Authentication Token' also means the path or method does not exist on the stage"},
	{Name: "AWS SigV4 services (S3, STS, …)", Docs: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html",
		Hosts: []string{"amazonaws.com"}, Signs: []string{"header:X-Amz-Request-Id", "server:AmazonS3", "body:<ErrorResponse"},
		Expects: "Authorization: AWS4-HMAC-SHA256 Credential=AKIA…/date/region/service/aws4_request, … (or a presigned URL)",
		Schemes: []string{"AWS4-HMAC-SHA256"}, Prefixes: []string{"AKIA", "ASIA"},
		Note: "SignatureDoesNotMatch is a signing mistake (secret, region, canonical request); RequestTimeTooSkewed a clock"},
	{Name: "Microsoft Entra ID (Azure)", Docs: "https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens",
		Hosts: []string{"login.microsoftonline.com", "management.azure.com"}, Signs: []string{"realm:login.microsoftonline.com", "header:X-Ms-Request-Id"},
		Expects: "Authorization: Bearer <access token whose aud is the API's application ID URI>", Schemes: []string{"Bearer"},
		Note: "v1 tokens have iss https://sts.windows.net/<tenant>/, v2 https://login.microsoftonline.com/<tenant>/v2.0"},
	{Name: "Microsoft Graph", Docs: "https://learn.microsoft.com/en-us/graph/errors",
		Hosts: []string{"graph.microsoft.com"}, Signs: []string{"body:InvalidAuthenticationToken", "body:Authorization_RequestDenied"},
		Expects: "Authorization: Bearer <token with aud https://graph.microsoft.com>", Schemes: []string{"Bearer"},
		Note: "a token for your own API is not a Graph token; application permissions need admin consent"},
	{Name: "Google APIs", Docs: "https://cloud.google.com/docs/authentication/rest",
		Hosts: []string{"googleapis.com"}, Signs: []string{"server:ESF", "realm:accounts.google.com", "body:type.googleapis.com/google.rpc"},
		Expects: "Authorization: Bearer ya29.… (OAuth access token), or an API key in ?key= or x-goog-api-key", Schemes: []string{"Bearer"},
		KeyHeader: "x-goog-api-key", Prefixes: []string{"ya29.", "AIza"}, KeyPrefixes: []string{"AIza"},
		Note: "an API key (AIza…) is never a Bearer token; error.details[].reason names the cause"},
	{Name: "Google Cloud Run / IAP", Docs: "https://cloud.google.com/run/docs/authenticating/service-to-service",
		Hosts: []string{"run.app"}, Signs: []string{"server:Google Frontend", "body:Your client does not have permission"},
		Expects: "Authorization: Bearer <Google-signed ID token whose aud is the service URL>", Schemes: []string{"Bearer"}, WantsIDToken: true,
		Note: "wants an ID token (gcloud auth print-identity-token), not a ya29. access token"},
	{Name: "Auth0", Docs: "https://auth0.com/docs/secure/tokens/access-tokens/validate-access-tokens",
		Hosts: []string{"auth0.com"}, Signs: []string{"body:\"statusCode\"", "body:\"attributes\""},
		Expects: "Authorization: Bearer <access token requested with audience=<the API identifier>>", Schemes: []string{"Bearer"},
		Note: "a token requested without audience is opaque or for /userinfo only"},
	{Name: "Okta", Docs: "https://developer.okta.com/docs/reference/error-codes/",
		Hosts: []string{"okta.com", "oktapreview.com"}, Signs: []string{"body:\"errorCode\":\"E0000", "challenge:okta.com"},
		Expects: "Authorization: SSWS <API token> (management API), or Bearer <access token>", Schemes: []string{"SSWS", "Bearer"},
		Note: "E0000011 is an invalid token; API tokens use the SSWS scheme, not Bearer"},
	{Name: "Keycloak", Docs: "https://www.keycloak.org/docs/latest/server_admin/#_oidc",
		Signs:   []string{"body:HTTP 401 Unauthorized", "realm:keycloak", "body:/realms/", "challenge:/realms/"},
		Expects: "Authorization: Bearer <access token of the realm>", Schemes: []string{"Bearer"},
		Note: "iss includes /realms/<name>; the hostname the token was requested on is part of iss"},
	{Name: "Amazon Cognito", Docs: "https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html",
		Hosts: []string{"amazoncognito.com", "cognito-idp"}, Signs: []string{"body:NotAuthorizedException", "header:X-Amzn-Errortype=NotAuthorizedException", "body:\"__type\""},
		Expects: "Authorization: Bearer <access token (token_use access)>", Schemes: []string{"Bearer"},
		Note: "ID tokens (token_use id) carry no scopes; API Gateway scope checks need the access token"},
	{Name: "Firebase", Docs: "https://firebase.google.com/docs/auth/admin/verify-id-tokens",
		Hosts: []string{"identitytoolkit.googleapis.com", "firebaseio.com"}, Signs: []string{"body:INVALID_ID_TOKEN", "body:TOKEN_EXPIRED"},
		Expects: "a Firebase ID token (1 h), refreshed with the refresh token", Schemes: []string{"Bearer"}},
	{Name: "Supabase", Docs: "https://supabase.com/docs/guides/api/api-keys",
		Hosts: []string{"supabase.co"}, Signs: []string{"header:Sb-Gateway-Version", "body:supabase"},
		Expects: "apikey: <anon or service key>, plus Authorization: Bearer <user JWT>", KeyHeader: "apikey", Schemes: []string{"Bearer"},
		Companions: []string{"apikey"},
		Note:       "the apikey header is required even with a user JWT"},
	{Name: "Cloudflare API", Docs: "https://developers.cloudflare.com/fundamentals/api/get-started/create-token/",
		Hosts: []string{"api.cloudflare.com"}, Signs: []string{"header:Cf-Ray", "server:cloudflare", `body:"messages":[],"result":null`},
		Expects: "Authorization: Bearer <API token> (global keys: X-Auth-Email and X-Auth-Key)", Schemes: []string{"Bearer"}, KeyHeader: "X-Auth-Key",
		Note: "error 9109 is an invalid token, 6111 a malformed Authorization header"},
	{Name: "Kubernetes API server", Docs: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/",
		Signs:   []string{"body:\"kind\":\"Status\"", "header:Audit-Id"},
		Expects: "Authorization: Bearer <service account or OIDC token>, or a client certificate", Schemes: []string{"Bearer"},
		Note: "a request whose credential is not accepted may run as system:anonymous and get 403"},
	{Name: "Docker / OCI registry", Docs: "https://distribution.github.io/distribution/spec/auth/token/",
		Hosts: []string{"registry-1.docker.io", "ghcr.io", "quay.io"}, Signs: []string{"header:Docker-Distribution-Api-Version", "body:\"errors\":[{\"code\":\"UNAUTHORIZED\""},
		Expects: "Authorization: Bearer <token from the challenge's realm, for its service and scope>", Schemes: []string{"Bearer"},
		Note: "user name and password go to the token endpoint, not to the registry"},
	{Name: "Elasticsearch", Docs: "https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-security-create-api-key",
		Signs:   []string{"header:X-Elastic-Product", "body:security_exception"},
		Expects: "Authorization: ApiKey <base64 id:api_key> (or the encoded value), or Basic", Schemes: []string{"ApiKey", "Basic", "Bearer"},
		Note: "an API key is sent with the ApiKey scheme, not Bearer"},
	{Name: "Atlassian (Jira, Confluence Cloud)", Docs: "https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/",
		Hosts: []string{"atlassian.net"}, Signs: []string{"header:Atl-Traceid", "header:X-Arequestid"},
		Expects: "Basic <email>:<API token> (account passwords are refused), or Bearer for OAuth 2.0 apps", Schemes: []string{"Basic", "Bearer"},
		Prefixes: []string{"ATATT"}, TokenAsPassword: true,
		Note: "answers 404 (or an empty result) for issues the account cannot see"},
	{Name: "Salesforce", Docs: "https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm",
		Hosts: []string{"salesforce.com", "force.com"}, Signs: []string{"body:\"errorCode\":\"INVALID_SESSION_ID\"", "header:Sforce-Limit-Info"},
		Expects: "Authorization: Bearer <access token (session id)>", Schemes: []string{"Bearer"},
		Note: "INVALID_SESSION_ID: the session expired or was revoked; use the instance_url the token response gave"},
	{Name: "Shopify Admin API", Docs: "https://shopify.dev/docs/api/usage/authentication",
		Hosts: []string{"myshopify.com"}, Signs: []string{"header:X-Shopify-Stage", "header:X-Shopid"},
		Expects: "X-Shopify-Access-Token: shpat_…", KeyHeader: "X-Shopify-Access-Token", Prefixes: []string{"shpat_", "shpca_", "shppa_", "shpss_"},
		KeyPrefixes: []string{"shpat_", "shpca_", "shppa_"},
		Note:        "the token goes in X-Shopify-Access-Token, not Authorization"},
	{Name: "Django REST framework", Docs: "https://www.django-rest-framework.org/api-guide/authentication/",
		Signs:   []string{"body:Authentication credentials were not provided", "body:token_not_valid"},
		Expects: "Authorization: Token <key> for TokenAuthentication (the keyword is Token, not Bearer)", Schemes: []string{"Token", "Bearer"},
		Note: "answers 403 instead of 401 when its first authentication class sends no challenge (SessionAuthentication)"},
	{Name: "Spring Security", Docs: "https://docs.spring.io/spring-security/reference/servlet/oauth2/resource-server/jwt.html",
		Signs:   []string{"body:\"timestamp\"", "body:\"path\"", "challenge:tools.ietf.org/html/rfc6750"},
		Expects: "Authorization: Bearer <JWT>", Schemes: []string{"Bearer"},
		Note: "error_description in WWW-Authenticate names the failed check (Jwt expired at …, no matching key)"},
	{Name: "ASP.NET Core (JwtBearer)", Docs: "https://learn.microsoft.com/en-us/aspnet/core/security/authentication/configure-jwt-bearer-authentication",
		Signs:   []string{"server:Kestrel", "server:Microsoft-IIS"},
		Expects: "Authorization: Bearer <JWT>", Schemes: []string{"Bearer"},
		Note: "IDX codes in error_description name the failed check (IDX10214 audience, IDX10205 issuer, IDX10503 key)"},
	{Name: "FastAPI", Docs: "https://fastapi.tiangolo.com/tutorial/security/first-steps/",
		Signs:   []string{"server:uvicorn", "body:{\"detail\":\"Not authenticated\"}"},
		Expects: "Authorization: Bearer <token>", Schemes: []string{"Bearer"},
		Note: "HTTPBearer answered 403 for a missing credential before 0.115"},
	{Name: "Express (express-jwt, passport)", Docs: "https://github.com/auth0/express-jwt#error-handling",
		Signs:   []string{"header:X-Powered-By=Express", "body:UnauthorizedError"},
		Expects: "Authorization: Bearer <JWT>", Schemes: []string{"Bearer"}},
	{Name: "nginx (auth_basic, auth_request)", Docs: "https://nginx.org/en/docs/http/ngx_http_auth_basic_module.html",
		Signs:   []string{"server:nginx", "body:<center>nginx</center>"},
		Expects: "Basic <user:password> for auth_basic", Schemes: []string{"Basic"},
		Note: "401 Authorization Required comes from nginx itself, before the application"},
	{Name: "Apache httpd", Docs: "https://httpd.apache.org/docs/2.4/howto/auth.html",
		Signs:   []string{"server:Apache", "body:could not verify that you"},
		Expects: "Basic or Digest, per AuthType", Schemes: []string{"Basic", "Digest"},
		Note: "mod_rewrite and CGI setups drop Authorization unless passed on (CGIPassAuth On)"},
	{Name: "Traefik", Docs: "https://doc.traefik.io/traefik/middlewares/http/basicauth/",
		Signs:   []string{"realm:traefik"},
		Expects: "Basic <user:password> (BasicAuth middleware)", Schemes: []string{"Basic"}},
	{Name: "oauth2-proxy", Docs: "https://oauth2-proxy.github.io/oauth2-proxy/configuration/overview",
		Signs:   []string{"location:/oauth2/", "body:oauth2-proxy"},
		Expects: "a browser session cookie; Bearer tokens only with --skip-jwt-bearer-tokens", Schemes: []string{"Bearer"},
		Note: "redirects API calls to /oauth2/sign_in unless bearer tokens are allowed"},
	{Name: "Notion", Docs: "https://developers.notion.com/reference/versioning",
		Hosts: []string{"api.notion.com"}, Signs: []string{"body:\"object\":\"error\""},
		Expects: "Authorization: Bearer <integration secret> and Notion-Version: 2022-06-28", Schemes: []string{"Bearer"},
		Companions: []string{"Notion-Version"},
		Note:       "Notion-Version is required; pages must be shared with the integration (else 404)"},
	{Name: "Mailchimp", Docs: "https://mailchimp.com/developer/marketing/docs/errors/",
		Hosts: []string{"api.mailchimp.com"}, Signs: []string{"body:mailchimp.com/developer"},
		Expects: "Basic anystring:<key> on the data centre of the key's -usN suffix", Schemes: []string{"Basic", "Bearer"},
		Note: "the key's suffix (-us21) must match the API host's data centre"},
	{Name: "SendGrid", Docs: "https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/authentication",
		Hosts: []string{"api.sendgrid.com"}, Signs: []string{"body:{\"errors\":[{\"field\""}, Expects: "Authorization: Bearer SG.…", Schemes: []string{"Bearer"}, Prefixes: []string{"SG."}},
	{Name: "Hugging Face", Docs: "https://huggingface.co/docs/hub/security-tokens",
		Hosts: []string{"huggingface.co"}, Signs: []string{"header:X-Error-Code"},
		Expects: "Authorization: Bearer hf_…", Schemes: []string{"Bearer"}, Prefixes: []string{"hf_"},
		Note: "gated models answer 403 until access is granted"},
	{Name: "Kong Gateway (key-auth)", Docs: "https://docs.konghq.com/hub/kong-inc/key-auth/",
		Signs:   []string{"server:kong", "header:Via=kong", "header:X-Kong-Response-Latency"},
		Expects: "apikey: <key> (the plugin's key_names; or ?apikey=)", KeyHeader: "apikey",
		Note: "'No API key found in request' means the key is not in a header or parameter the plugin reads"},
	{Name: "Azure DevOps", Docs: "https://learn.microsoft.com/en-us/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate",
		Hosts: []string{"dev.azure.com", "visualstudio.com"}, Signs: []string{"header:X-Vss-E2eid", "header:X-Tfs-Processid"},
		Expects: "Basic :<personal access token> (empty user name), or Bearer <Entra token>", Schemes: []string{"Basic", "Bearer"},
		Note: "a wrong PAT gets 203 with a sign-in page, not 401"},
	{Name: "Apigee", Docs: "https://cloud.google.com/apigee/docs/api-platform/reference/policies/verify-api-key-policy#runtime-errors",
		Signs:   []string{"body:\"fault\":{\"faultstring\""},
		Expects: "the API key or access token where the proxy's VerifyAPIKey or OAuthV2 policy reads it (often ?apikey= or x-api-key)",
		Schemes: []string{"Bearer"}, KeyHeader: "x-api-key",
		Note: "errorcode names the cause: oauth.v2.InvalidApiKey, keymanagement.service.access_token_expired, steps.oauth.v2.FailedToResolveAPIKey"},
	{Name: "HashiCorp Vault", Docs: "https://developer.hashicorp.com/vault/api-docs#authentication",
		Signs:   []string{"body:{\"errors\":[\"permission denied\"]}"},
		Expects: "X-Vault-Token: <token> (or Authorization: Bearer <token>)", KeyHeader: "X-Vault-Token", Schemes: []string{"Bearer"},
		Note: "answers 403 permission denied for an invalid or expired token too, not only for a missing policy"},
	{Name: "Jenkins", Docs: "https://www.jenkins.io/doc/book/system-administration/authenticating-scripted-clients/",
		Signs:   []string{"header:X-Jenkins", "header:X-You-Are-Authenticated-As"},
		Expects: "Basic <user>:<API token>", Schemes: []string{"Basic"},
		Note: "an anonymous caller gets 403 with X-You-Are-Authenticated-As: anonymous"},
	{Name: "npm registry", Docs: "https://docs.npmjs.com/about-access-tokens",
		Hosts: []string{"registry.npmjs.org"}, Signs: []string{"header:Npm-Notice"},
		Expects: "Authorization: Bearer npm_…", Schemes: []string{"Bearer"}, Prefixes: []string{"npm_"}},
}

// identify names the provider of an answer from the request's host and
// the answer's fingerprint; "" when none matches.
func identify(target string, a *answer) *Provider {
	host := hostOf(target)
	for i := range providers {
		p := &providers[i]
		for _, h := range p.Hosts {
			if host == h || strings.HasSuffix(host, "."+h) {
				return p
			}
		}
	}
	if a == nil {
		return nil
	}
	// The provider whose signs the answer shows most; the first on a tie.
	// Weak signs (a common Server header, a CDN's or framework's headers,
	// common JSON keys) count only beside a strong one: nginx and
	// Cloudflare front a great many APIs that are neither.
	var best *Provider
	bestScore := 0
	for i := range providers {
		score, strong := 0, 0
		for _, s := range providers[i].Signs {
			if a.shows(s) {
				score++
				if !weakSign(s) {
					strong++
				}
			}
		}
		if strong == 0 {
			continue
		}
		if score > bestScore {
			best, bestScore = &providers[i], score
		}
	}
	return best
}

// weakSigns are signs many unrelated services show.
var weakSigns = []string{"server:nginx", "server:apache", "server:kestrel", "server:microsoft-iis", "server:uvicorn", "server:cloudflare",
	"server:google frontend", "server:envoy", "server:openresty", "header:cf-ray", "header:x-powered-by", "header:via", "header:x-cache", "header:x-amz-cf-id",
	"header:x-served-by", "header:audit-id", `body:"timestamp"`, `body:"path"`, `body:"statuscode"`, `body:"__type"`}

// weakSign reports whether a sign alone is no evidence of its provider.
func weakSign(s string) bool {
	s = strings.ToLower(s)
	for _, w := range weakSigns {
		if strings.HasPrefix(s, w) {
			return true
		}
	}
	return false
}

// shows reports whether the answer carries one sign (see Provider.Signs).
func (a *answer) shows(sign string) bool {
	kind, want, _ := strings.Cut(sign, ":")
	want = strings.ToLower(want)
	switch kind {
	case "header":
		name, value, hasValue := strings.Cut(want, "=")
		v := a.header.Values(name)
		if !hasValue {
			return len(v) > 0
		}
		return strings.Contains(strings.ToLower(strings.Join(v, ",")), value)
	case "server":
		return strings.Contains(strings.ToLower(a.header.Get("Server")), want)
	case "realm":
		for _, c := range a.challenges {
			if r, ok := c.Get("realm"); ok && strings.Contains(strings.ToLower(r), want) {
				return true
			}
		}
	case "body":
		return strings.Contains(strings.ToLower(string(a.body)), want)
	case "location":
		return strings.Contains(strings.ToLower(a.header.Get("Location")), want)
	case "challenge":
		for _, c := range a.challenges {
			for _, p := range c.Params {
				if strings.Contains(strings.ToLower(p.Value), want) {
					return true
				}
			}
		}
	}
	return false
}

// providerOfCredential names the provider whose credentials start like v.
func providerOfCredential(v string) (*Provider, string) {
	var best *Provider
	prefix := ""
	for i := range providers {
		for _, pre := range providers[i].Prefixes {
			if strings.HasPrefix(v, pre) && len(pre) > len(prefix) {
				best, prefix = &providers[i], pre
			}
		}
	}
	return best, prefix
}
