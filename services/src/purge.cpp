#include "keepsake/services/purge.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <nlohmann/json.hpp>

#include "keepsake/orders/crypto.hpp"
#include "keepsake/services/asset_files.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string PublicKeyPath(const fs::path& key) {
  std::string base = key.string();
  if (base.size() > 4 && base.compare(base.size() - 4, 4, ".pem") == 0) {
    base.resize(base.size() - 4);
  }
  return base + ".pub.pem";
}

// The shop's key: read from `path`, or made there (0600, the public half beside it) when the
// file does not exist yet.
orders::Result<Key> LoadOrCreateKey(const fs::path& path) {
  if (fs::exists(path)) {
    Bio bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
    Key key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr,
            &EVP_PKEY_free);
    if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
      return orders::Fail(orders::Errc::kStorage,
                          "the signing key " + path.string() + " is not an Ed25519 private key");
    }
    return key;
  }
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::permissions(path.parent_path(), fs::perms::owner_all, ec);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return orders::Fail(orders::Errc::kStorage, "OpenSSL could not make an Ed25519 key");
  }
  Key key(raw, &EVP_PKEY_free);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return orders::Fail(orders::Errc::kStorage, "cannot create the signing key " + path.string() +
                                                    ": " + std::strerror(errno));
  }
  ::close(fd);
  Bio out(BIO_new_file(path.c_str(), "w"), &BIO_free);
  Bio pub(BIO_new_file(PublicKeyPath(path).c_str(), "w"), &BIO_free);
  if (!out || !pub ||
      PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    return orders::Fail(orders::Errc::kStorage, "cannot write the signing key " + path.string());
  }
  return key;
}

// The sha256 of the key's public half (DER): names the key in the certificate.
std::string KeyId(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  if (size <= 0) return std::string();
  std::string id = orders::Sha256Hex(std::string_view(reinterpret_cast<char*>(der), size));
  OPENSSL_free(der);
  return id;
}

// Overwrites the file with zeros, syncs it, unlinks it and syncs its folder. True when it is
// gone (or was).
bool Shred(const fs::path& file, std::string& error) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return true;
    error = file.filename().string() + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0;
  const std::vector<char> zeros(1 << 20, 0);
  for (off_t done = 0; ok && done < st.st_size;) {
    const size_t chunk = static_cast<size_t>(std::min<off_t>(st.st_size - done, zeros.size()));
    const ssize_t n = ::pwrite(fd, zeros.data(), chunk, done);
    ok = n > 0;
    if (ok) done += n;
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    error = file.filename().string() + ": " + std::strerror(errno);
    return false;
  }
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
    error = file.filename().string() + ": " + std::strerror(errno);
    return false;
  }
  // the directory entry's removal, on disk
  const int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

// The backups `keepsake backup` recorded before now: each holds the customer data of the
// orders that existed when it was made, until it is destroyed.
json BackupsBefore(orders::Store& store) {
  json out = json::array();
  std::optional<int64_t> before;
  for (;;) {
    auto page = store.Access().ListAudit(before, 1000);
    if (!page || page->empty()) break;
    for (const orders::AuditEntry& e : *page) {
      if (e.action != "store.backup") continue;
      const json detail = json::parse(e.detail, nullptr, false);
      out.push_back({{"made_at", e.at},
                     {"file", detail.is_object() ? detail.value("file", "") : ""},
                     {"holds",
                      "the customer data of the orders that existed when it was made, "
                      "until it is destroyed"}});
    }
    if (page->size() < 1000) break;
    before = page->back().id;
  }
  return out;
}

}  // namespace

fs::path SigningKeyPath(const DataPaths& paths, const std::string& configured) {
  return configured.empty() ? paths.Root() / "keys" / "deletion-signing.pem" : fs::path(configured);
}

namespace {

// The signed certificate of purge `r` (JSON: the signed text as it was signed, and the
// signature), or why it could not be signed.
orders::Result<std::string> Certify(const orders::PurgeResult& r, EVP_PKEY* key,
                                    const json& backups) {
  json deleted = json::array(), shared = json::array();
  for (const orders::PurgedFile& f : r.files) {
    deleted.push_back(
        {{"sha256", f.sha256}, {"kind", f.kind}, {"format", f.format}, {"bytes", f.bytes}});
  }
  for (const orders::SharedFile& f : r.shared_files) {
    shared.push_back({{"sha256", f.sha256}, {"kept_for_orders", f.kept_orders}});
  }
  const json payload = {
      {"kind", "keepsake.deletion_certificate"},
      {"version", 1},
      {"purge", r.id},
      {"issued_at", r.at},
      {"operator", r.actor},
      {"scope", r.scope},
      {"orders", r.order_numbers},
      {"orders_sha256", r.digest},
      {"customers_deleted", r.customers},
      {"texts_redacted", r.texts_redacted},
      {"files_deleted", deleted},
      {"files_kept_because_a_kept_order_uses_them", shared},
      {"database",
       "customer rows deleted and free texts blanked with secure_delete on; the write-ahead log "
       "checkpointed and truncated; the file rebuilt (VACUUM)"},
      {"files",
       "each file overwritten with zeros and synced, then unlinked; on copy-on-write "
       "filesystems and flash, old blocks may survive until the device reuses them"},
      {"backups_made_before", backups},
      {"signing_key_sha256", KeyId(key)}};
  const std::string text = payload.dump(2);
  MdContext md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char signature[64];
  size_t signature_size = sizeof signature;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(md.get(), signature, &signature_size,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    return orders::Fail(orders::Errc::kStorage, "OpenSSL could not sign the certificate");
  }
  // the payload travels as the exact text that was signed: no canonical JSON is needed to
  // check it, only these bytes
  return json{{"certificate", text},
              {"algorithm", "Ed25519"},
              {"signature", orders::HexEncode(std::string_view(reinterpret_cast<char*>(signature),
                                                               signature_size))}}
             .dump(2) +
         "\n";
}

// Overwrites and unlinks each stored file; returns how many were there.
orders::Result<int64_t> ShredFiles(const DataPaths& paths, const std::vector<std::string>& files,
                                   int64_t purge_id) {
  int64_t removed = 0;
  std::string error;
  for (const std::string& sha : files) {
    const fs::path file = paths.AssetFile(sha);
    const bool existed = fs::exists(file);
    if (!Shred(file, error)) {
      return orders::Fail(orders::Errc::kStorage,
                          "the customer data is purged from the database but a file of purge " +
                              std::to_string(purge_id) + " could not be deleted (" + error +
                              "); the next purge deletes it again and certifies purge " +
                              std::to_string(purge_id));
    }
    removed += existed ? 1 : 0;
  }
  return removed;
}

}  // namespace

orders::Result<PurgeDone> PurgeAndCertify(orders::Store& store, const DataPaths& paths,
                                          const orders::PurgeScope& scope,
                                          const orders::Actor& actor, const fs::path& signing_key) {
  // the key first: a purge whose certificate cannot be signed should not start
  auto key = LoadOrCreateKey(signing_key);
  if (!key) return tl::unexpected(key.error());
  auto purged = store.Access().PurgeCustomers(scope, actor);
  if (!purged) return tl::unexpected(purged.error());
  PurgeDone done;
  done.result = std::move(*purged);
  done.public_key = PublicKeyPath(signing_key);

  // files an older keepsake's purge listed and did not see deleted
  auto legacy = store.Access().FilesLeftByPurges();
  if (!legacy) return tl::unexpected(legacy.error());
  auto removed = ShredFiles(paths, *legacy, done.result.id);
  if (!removed) return tl::unexpected(removed.error());
  done.files_removed += *removed;
  // this purge, and any an earlier one left uncertified (cut short after the database step):
  // its files deleted, its certificate signed and written, in that order
  auto unfinished = store.Access().UnfinishedPurges();
  if (!unfinished) return tl::unexpected(unfinished.error());
  const json backups = BackupsBefore(store);
  std::error_code ec;
  fs::create_directories(paths.Root() / "purges", ec);
  for (const orders::PurgeResult& r : *unfinished) {
    std::vector<std::string> files;
    for (const orders::PurgedFile& f : r.files) files.push_back(f.sha256);
    auto shredded = ShredFiles(paths, files, r.id);
    if (!shredded) return tl::unexpected(shredded.error());
    done.files_removed += *shredded;
    auto certificate = Certify(r, key->get(), backups);
    if (!certificate) return tl::unexpected(certificate.error());
    const fs::path written = paths.Root() / "purges" / ("purge-" + std::to_string(r.id) + ".json");
    if (!WriteFileAtomically(written, *certificate)) {
      return orders::Fail(orders::Errc::kStorage, "cannot write " + written.string());
    }
    if (auto kept = store.Access().FilesDeleted(r.id, *certificate); !kept) {
      return tl::unexpected(kept.error());
    }
    if (r.id == done.result.id) {
      done.certificate = *certificate;
      done.written = written;
    } else {
      done.finished_earlier.push_back(written);
    }
  }
  return done;
}

std::string VerifyDeletionCertificate(const std::string& certificate,
                                      const std::string& public_key_pem) {
  const json doc = json::parse(certificate, nullptr, false);
  if (!doc.is_object() || !doc.contains("certificate") || !doc["certificate"].is_string() ||
      !doc.contains("signature") || !doc["signature"].is_string()) {
    return "not a Keepsake deletion certificate (no certificate text and signature)";
  }
  if (doc.value("algorithm", "") != "Ed25519") return "the certificate is not signed with Ed25519";
  Bio bio(BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())),
          &BIO_free);
  Key key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr,
          &EVP_PKEY_free);
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return "the public key is not an Ed25519 key in PEM";
  }
  const std::string text = doc["certificate"].get<std::string>();
  const std::string signature =
      orders::HexDecode(doc["signature"].get<std::string>()).value_or(std::string());
  MdContext md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (signature.size() != 64 || !md ||
      EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(text.data()),
                       text.size()) != 1) {
    return "the signature does not match: the certificate was changed, or another key signed it";
  }
  const json payload = json::parse(text, nullptr, false);
  if (!payload.is_object() || payload.value("kind", "") != "keepsake.deletion_certificate") {
    return "the signed text is not a deletion certificate";
  }
  return std::string();
}

}  // namespace keepsake::services
