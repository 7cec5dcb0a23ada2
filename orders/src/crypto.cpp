#include "keepsake/orders/crypto.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <mutex>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sodium.h>

namespace keepsake::orders {

namespace {

std::string Hex(const unsigned char* data, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  return Hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::optional<std::string> HexDecode(std::string_view hex) {
  const auto nibble = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string RandomHex(size_t bytes) {
  std::array<unsigned char, 64> buf{};
  if (bytes > buf.size() || RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return Hex(buf.data(), bytes);
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL EVP_Digest failed");
  }
  return Hex(digest.data(), len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(),
           &len) == nullptr) {
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  return Hex(digest.data(), len);
}

std::string NewApiToken() { return "ks_" + RandomHex(32); }

std::string TokenHash(std::string_view token) { return Sha256Hex(token); }

std::string NewRequestId() { return RandomHex(8); }

namespace {

void StartSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not start");
  });
}

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

}  // namespace

std::string HashPassword(std::string_view password) {
  StartSodium();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("not enough memory to hash a password (Argon2id, 64 MiB)");
  }
  return out.data();
}

bool VerifyPassword(const std::string& hash, std::string_view password) {
  StartSodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> Base32Decode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char raw : text) {
    if (raw == ' ' || raw == '=') continue;
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    const char* at = std::char_traits<char>::find(kBase32, 32, c);
    if (at == nullptr) return std::nullopt;
    buffer = (buffer << 5) | static_cast<uint32_t>(at - kBase32);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

std::string NewTotpSecret() {
  std::array<unsigned char, 20> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

std::string TotpCode(std::string_view secret, int64_t step, int digits) {
  std::array<unsigned char, 8> counter{};
  for (int i = 7; i >= 0; --i, step >>= 8) counter[i] = static_cast<unsigned char>(step & 0xFF);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), counter.data(),
           counter.size(), mac.data(), &len) == nullptr ||
      len < 20) {
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  const int offset = mac[len - 1] & 0x0F;
  const uint32_t binary =
      (mac[offset] & 0x7Fu) << 24 | mac[offset + 1] << 16 | mac[offset + 2] << 8 | mac[offset + 3];
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

std::optional<int64_t> MatchTotp(std::string_view secret, std::string_view code, int64_t now_unix_s,
                                 int64_t after_step) {
  if (code.size() != 6) return std::nullopt;
  const int64_t now_step = now_unix_s / 30;
  for (int64_t step = now_step - 1; step <= now_step + 1; ++step) {
    if (step <= after_step) continue;
    const std::string expected = TotpCode(secret, step);
    if (CRYPTO_memcmp(expected.data(), code.data(), expected.size()) == 0) return step;
  }
  return std::nullopt;
}

std::string TotpUri(std::string_view account, std::string_view secret) {
  std::string label;
  for (unsigned char c : account) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      label += static_cast<char>(c);
    } else {
      static const char kHex[] = "0123456789ABCDEF";
      label += '%';
      label += kHex[c >> 4];
      label += kHex[c & 0xF];
    }
  }
  return "otpauth://totp/Keepsake:" + label + "?secret=" + Base32Encode(secret) +
         "&issuer=Keepsake&algorithm=SHA1&digits=6&period=30";
}

std::string NewSessionToken() { return "kss_" + RandomHex(32); }

}  // namespace keepsake::orders
