#include "field_cipher.hpp"

#include "keepsake/orders/crypto.hpp"

#include <memory>
#include <stdexcept>

#include <SQLiteCpp/SQLiteCpp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sqlite3.h>

namespace keepsake::orders {

namespace {

constexpr size_t kNonce = 12, kTag = 16;
constexpr std::string_view kPrefix = "e1:";

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Unbase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t size = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes
  for (size_t k = text.size(); k > 0 && text[k - 1] == '='; --k) --size;
  out.resize(size);
  return out;
}

using Context = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const FieldCipher& CipherOf(sqlite3_context* ctx) {
  return *static_cast<const FieldCipher*>(sqlite3_user_data(ctx));
}

std::string_view Text(sqlite3_value* v) {
  return std::string_view(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                          static_cast<size_t>(sqlite3_value_bytes(v)));
}

void Result(sqlite3_context* ctx, const std::string& text) {
  sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void SqlEncrypt(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  Result(ctx, CipherOf(ctx).Encrypt(Text(argv[0])));
}

void SqlDecrypt(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  auto plain = CipherOf(ctx).Decrypt(Text(argv[0]));
  if (!plain) {
    return sqlite3_result_error(ctx, "a customer field does not decrypt with this data key", -1);
  }
  Result(ctx, *plain);
}

void SqlIndex(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  Result(ctx, CipherOf(ctx).Index(Text(argv[0]), Text(argv[1])));
}

}  // namespace

FieldCipher::FieldCipher(std::string_view data_key) {
  if (data_key.size() != 32) throw std::invalid_argument("the data key is 32 bytes");
  encryption_key_ = Hmac(data_key, "keepsake field encryption v1");
  index_key_ = Hmac(data_key, "keepsake blind index v1");
}

std::string FieldCipher::Encrypt(std::string_view plain) const {
  std::string out(kNonce + plain.size() + kTag, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  Context ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int n = 0;
  if (RAND_bytes(bytes, kNonce) != 1 || !ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(encryption_key_.data()),
                         bytes) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes + kNonce, &n,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes + kNonce + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, bytes + kNonce + plain.size()) !=
          1) {
    throw std::runtime_error("OpenSSL could not encrypt a field");
  }
  return std::string(kPrefix) + Base64(out);
}

std::optional<std::string> FieldCipher::Decrypt(std::string_view stored) const {
  if (stored.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto raw = Unbase64(stored.substr(kPrefix.size()));
  if (!raw || raw->size() < kNonce + kTag) return std::nullopt;
  const size_t size = raw->size() - kNonce - kTag;
  auto* bytes = reinterpret_cast<unsigned char*>(raw->data());
  std::string plain(size, '\0');
  Context ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int n = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(encryption_key_.data()),
                         bytes) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n,
                        bytes + kNonce, static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, bytes + kNonce + size) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n, &n) != 1) {
    return std::nullopt;
  }
  return plain;
}

std::string FieldCipher::Index(std::string_view kind, std::string_view value) const {
  std::string message(kind);
  message += '\0';
  message += value;
  return HexEncode(Hmac(index_key_, message)).substr(0, 32);
}

std::string FieldCipher::KeyCheck() const { return Index("key-check", "keepsake"); }

void FieldCipher::Register(SQLite::Database& db, const std::string& suffix) const {
  void* self = const_cast<FieldCipher*>(this);
  db.createFunction(("ks_encrypt" + suffix).c_str(), 1, false, self, &SqlEncrypt);
  db.createFunction(("ks_decrypt" + suffix).c_str(), 1, true, self, &SqlDecrypt);
  db.createFunction(("ks_index" + suffix).c_str(), 2, true, self, &SqlIndex);
}

}  // namespace keepsake::orders
