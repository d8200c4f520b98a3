package api

// Echo is the answer of the echo endpoint: what arrived, never a value of
// a credential.
type Echo struct {
	Authgate      bool              `json:"authgate_echo"`
	Method        string            `json:"method"`
	Path          string            `json:"path"`
	HeaderNames   []string          `json:"header_names"`
	Authorization *EchoCredential   `json:"authorization,omitempty"`
	APIKeys       []EchoCredential  `json:"api_key_headers,omitempty"`
	Forwarded     map[string]string `json:"forwarded,omitempty"`
	Origin        string            `json:"origin,omitempty"`
}

// EchoCredential describes one credential header as it arrived.
type EchoCredential struct {
	Header string `json:"header"`
	// Count is how many such header lines arrived.
	Count  int    `json:"count"`
	Scheme string `json:"scheme,omitempty"`
	// Length is the credential's length in bytes (after the scheme).
	Length int `json:"length"`
	// Fingerprint is the gateway's own (keyed) fingerprint, as in its logs.
	Fingerprint string `json:"fingerprint"`
	// NonceFingerprint is HMAC-SHA-256(nonce, credential), first 12 hex.
	NonceFingerprint string `json:"nonce_fingerprint,omitempty"`
}
