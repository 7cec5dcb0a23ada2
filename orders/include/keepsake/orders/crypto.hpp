// Hashing and random tokens through OpenSSL (no hand-written cryptography): API tokens and
// their hashes (the access repository), request ids, upload digests, webhook signatures; staff
// passwords through libsodium (Argon2id) and TOTP codes (RFC 6238) over OpenSSL's HMAC-SHA1.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace keepsake::orders {

// Bytes as lowercase hex, and back (nullopt: an odd length or a character not hex).
std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);
// `bytes` random bytes (at most 64) from RAND_bytes, as lowercase hex.
std::string RandomHex(size_t bytes);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// A new API token: "ks_" + 32 random bytes (256 bits) in lowercase hex, from RAND_bytes.
// HMAC-SHA256 of `data` under `key`, lowercase hex (webhook signatures).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

std::string NewApiToken();

// What the store keeps of a token: its SHA-256. Tokens are 256-bit random, so a fast hash is
// enough (no password stretching is needed against guessing).
std::string TokenHash(std::string_view token);

// 16 random hex characters, for request ids.
std::string NewRequestId();

// --- staff sign-in ------------------------------------------------------------------------------

// A staff password as libsodium's Argon2id string (crypto_pwhash_str with its interactive limits:
// 64 MiB, 2 passes; the salt and the limits are inside the string). Throws when the memory
// cannot be had.
std::string HashPassword(std::string_view password);
// Whether `password` is the one `hash` was made from (constant time in the password).
bool VerifyPassword(const std::string& hash, std::string_view password);

// RFC 4648 base32 without padding (the form authenticator apps take a TOTP secret in), and
// back (nullopt: a character outside A-Z2-7; lowercase and spaces are accepted).
std::string Base32Encode(std::string_view bytes);
std::optional<std::string> Base32Decode(std::string_view text);
// A new TOTP secret: 20 random bytes (160 bits, as RFC 4226 recommends).
std::string NewTotpSecret();
// The RFC 6238 code of `secret` for time step `step` (unix seconds / 30): HMAC-SHA1 and the
// RFC 4226 dynamic truncation, `digits` digits with leading zeros.
std::string TotpCode(std::string_view secret, int64_t step, int digits = 6);
// The step of `now_unix_s` whose code `code` is, allowing one step either side for clocks and
// typing; only steps after `after_step` count (a code used once is not taken again).
std::optional<int64_t> MatchTotp(std::string_view secret, std::string_view code, int64_t now_unix_s,
                                 int64_t after_step);
// otpauth://totp/... for an authenticator app (Google's Key URI format): issuer Keepsake,
// SHA1, 6 digits, 30 s.
std::string TotpUri(std::string_view account, std::string_view secret);
// A new session cookie value: "kss_" + 32 random bytes in hex; the store keeps its SHA-256.
std::string NewSessionToken();

}  // namespace keepsake::orders
