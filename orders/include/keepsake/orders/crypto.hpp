// Hashing and random tokens through OpenSSL (no hand-written cryptography): API tokens and
// their hashes (the access repository), request ids, upload digests, webhook signatures.
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

}  // namespace keepsake::orders
