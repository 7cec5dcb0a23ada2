// Personal data encrypted at rest, field by field: AES-256-GCM with a random nonce per value
// (OpenSSL EVP), and keyed blind indexes (HMAC-SHA256) for the searches that must find a
// customer by an exact value (the phone, the last four digits). Both keys are derived from one
// 32-byte data key kept in a file outside the data folder. The functions are registered on
// every SQLite connection of the store (ks_encrypt, ks_decrypt, ks_index), so the SQL that
// writes and reads customers says what it stores, and a database file without the key holds
// no name, phone or address in plain text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace SQLite {
class Database;
}

namespace keepsake::orders {

class FieldCipher {
 public:
  // `data_key`: 32 bytes. Throws std::invalid_argument otherwise.
  explicit FieldCipher(std::string_view data_key);

  // "e1:" + base64(nonce 12 | ciphertext | tag 16).
  std::string Encrypt(std::string_view plain) const;
  // nullopt: not ours, or changed, or another key's.
  std::optional<std::string> Decrypt(std::string_view stored) const;
  // HMAC-SHA256 of `kind` and `value` under the index key, hex: equal values of one kind give
  // equal indexes; nothing about the value can be read from it without the key.
  std::string Index(std::string_view kind, std::string_view value) const;
  // A value that says which key this is (stored once per database, so that a wrong key file is
  // refused before anything is read or written with it).
  std::string KeyCheck() const;

  // ks_encrypt(text), ks_decrypt(text) and ks_index(kind, text) on `db`; NULL stays NULL. A
  // value that does not decrypt fails the statement. With a `suffix`, the three are named
  // ks_encrypt<suffix> and so on (a key rotation registers the new key beside the old).
  void Register(SQLite::Database& db, const std::string& suffix = "") const;

 private:
  std::string encryption_key_;  // 32 bytes
  std::string index_key_;       // 32 bytes
};

}  // namespace keepsake::orders
