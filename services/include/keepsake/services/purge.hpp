// A purge that deletes everything a customer left, and a certificate anyone can check: the
// store's purge (customer rows, free texts, the list of files only purged orders used), then
// the files themselves (overwritten with zeros, synced, unlinked), then a deletion certificate
// signed with the shop's Ed25519 key (OpenSSL), kept with the purge and written to
// purges/purge-<id>.json in the data directory. The certificate holds no personal data: order
// numbers, counts, file hashes, time, operator, and the backups made before it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/orders/store.hpp"
#include "keepsake/services/paths.hpp"

namespace keepsake::services {

struct PurgeDone {
  orders::PurgeResult result;
  int64_t files_removed = 0;      // stored files deleted now (this purge's and any left before)
  std::string certificate;        // the signed document (JSON)
  std::filesystem::path written;  // where it was written
  std::filesystem::path public_key;
  // The certificates of earlier purges this one finished (cut short after their database step:
  // a crash, a file that could not be deleted), as written.
  std::vector<std::filesystem::path> finished_earlier;
};

// The signing key `configured`, or keys/deletion-signing.pem of the data directory.
std::filesystem::path SigningKeyPath(const DataPaths& paths, const std::string& configured);

// Purges `scope`, deletes the files, signs and writes the certificate; finishes on the way any
// earlier purge cut short after its database step (its files deleted, its own certificate
// written: PurgeDone::finished_earlier). Errors: the store's (kInvalidArgument, kNotFound,
// kStorage); kStorage also when a file cannot be deleted or the key or a certificate cannot be
// written (the purge in the database stands: the next purge deletes its files and certifies it).
orders::Result<PurgeDone> PurgeAndCertify(orders::Store& store, const DataPaths& paths,
                                          const orders::PurgeScope& scope,
                                          const orders::Actor& actor,
                                          const std::filesystem::path& signing_key);

// Checks a certificate against the shop's public key (PEM text): empty when the signature
// holds over the certificate as written, else why not.
std::string VerifyDeletionCertificate(const std::string& certificate,
                                      const std::string& public_key_pem);

}  // namespace keepsake::services
