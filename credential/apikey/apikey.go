// Package apikey creates and verifies authgate API keys (their shape is
// package keyformat's). Only the SHA-256 of a key is stored.
package apikey

import "crypto/sha256"

// Hash is what the store keeps of a key.
func Hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}
