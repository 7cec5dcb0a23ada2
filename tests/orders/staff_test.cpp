// Staff accounts: the password and TOTP primitives against their RFCs' own test vectors, and the
// store's side of a sign-in (the lock and its back-off, a code used once, a session's ends, the
// secret encrypted at rest and through a key rotation).
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/store.hpp"
#include "test_support.hpp"

namespace keepsake::orders {
namespace {

using keepsake::testing::TempDir;

const std::string kDataKey = "0123456789abcdef0123456789abcdef";
constexpr int64_t kMinute = 60 * 1000;

// RFC 6238 appendix B (the SHA-1 rows): the key is the ASCII "12345678901234567890", 8 digits.
TEST(Crypto, TotpCodesAreTheRfc6238TestVectors) {
  const std::string key = "12345678901234567890";
  const std::pair<int64_t, const char*> rows[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& [seconds, code] : rows) EXPECT_EQ(TotpCode(key, seconds / 30, 8), code);
  // six digits are the last six; one step either side is taken, a step used already is not
  const std::string now = TotpCode(key, 1111111111 / 30);
  EXPECT_EQ(MatchTotp(key, now, 1111111111, 0), 1111111111 / 30);
  EXPECT_EQ(MatchTotp(key, now, 1111111111 + 30, 0), 1111111111 / 30);
  EXPECT_EQ(MatchTotp(key, now, 1111111111 + 60, 0), std::nullopt);
  EXPECT_EQ(MatchTotp(key, now, 1111111111, 1111111111 / 30), std::nullopt);
}

// RFC 4648 section 10, without the padding authenticator apps leave out.
TEST(Crypto, Base32IsTheRfc4648Alphabet) {
  const std::pair<const char*, const char*> rows[] = {
      {"f", "MY"}, {"fo", "MZXQ"}, {"foo", "MZXW6"}, {"foob", "MZXW6YQ"}, {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, coded] : rows) {
    EXPECT_EQ(Base32Encode(plain), coded);
    EXPECT_EQ(Base32Decode(coded), plain);
  }
  EXPECT_EQ(Base32Decode("mzxw 6ytb oi"), "foobar");  // as a person types it from a screen
  EXPECT_EQ(Base32Decode("MZXW1"), std::nullopt);
  EXPECT_EQ(TotpUri("li.wei", "foobar"),
            "otpauth://totp/Keepsake:li.wei?secret=MZXW6YTBOI&issuer=Keepsake&algorithm=SHA1&"
            "digits=6&period=30");
}

TEST(Crypto, PasswordsAreArgon2idAndOnlyTheirOwnMatches) {
  const std::string hash = HashPassword("correct horse battery staple");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_NE(HashPassword("correct horse battery staple"), hash);  // salted
  EXPECT_TRUE(VerifyPassword(hash, "correct horse battery staple"));
  EXPECT_FALSE(VerifyPassword(hash, "correct horse battery stapl"));
  EXPECT_FALSE(VerifyPassword("not a hash", "correct horse battery staple"));
}

class StaffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open({db_path_.string(), 2, 3, kDataKey});
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    secret_ = NewTotpSecret();
    auto id = store_->Staff().CreateUser("li.wei", Role::kCs, HashPassword("a long password!"),
                                         secret_, false, "test");
    ASSERT_TRUE(id) << id.error().message;
    id_ = *id;
  }
  StaffCredentials Account() {
    auto found = store_->Staff().FindCredentials("li.wei");
    EXPECT_TRUE(found);
    return *found;
  }

  TempDir dir_;
  std::filesystem::path db_path_ = dir_.path() / "staff.db";
  std::unique_ptr<Store> store_;
  std::string secret_;
  int64_t id_ = 0;
};

TEST_F(StaffTest, NamesAndRolesAreChecked) {
  EXPECT_EQ(store_->Staff().CreateUser("Li Wei", Role::kCs, "h", secret_, false, "t").error().code,
            Errc::kInvalidArgument);
  EXPECT_EQ(
      store_->Staff().CreateUser("shop", Role::kChannel, "h", secret_, false, "t").error().code,
      Errc::kInvalidArgument);
  EXPECT_EQ(store_->Staff().CreateUser("li.wei", Role::kCs, "h", secret_, false, "t").error().code,
            Errc::kVersionConflict);
}

TEST_F(StaffTest, FiveFailuresLockForAMinuteAndEachLaterOneDoublesTheLock) {
  const int64_t t0 = 1'800'000'000'000;
  for (int i = 1; i <= 4; ++i) {
    auto failure = store_->Staff().RecordFailedSignIn(id_, "code", "10.0.0.1", t0);
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->failed_attempts, i);
    EXPECT_EQ(failure->locked_until_ms, 0);
  }
  auto fifth = store_->Staff().RecordFailedSignIn(id_, "password", "10.0.0.1", t0);
  EXPECT_EQ(fifth->locked_until_ms, t0 + kMinute);
  EXPECT_EQ(Account().user.locked_until_ms, t0 + kMinute);
  auto sixth = store_->Staff().RecordFailedSignIn(id_, "code", "10.0.0.1", t0 + 2 * kMinute);
  EXPECT_EQ(sixth->locked_until_ms, t0 + 4 * kMinute);
  auto seventh = store_->Staff().RecordFailedSignIn(id_, "code", "10.0.0.1", t0 + 5 * kMinute);
  EXPECT_EQ(seventh->locked_until_ms, t0 + 9 * kMinute);
  for (int i = 0; i < 10; ++i) store_->Staff().RecordFailedSignIn(id_, "code", "", t0);
  EXPECT_EQ(Account().user.locked_until_ms, t0 + StaffRepository::kMaxLockMs);
  // every refusal is in the audit log with the check that failed, never what was typed
  auto audit = store_->Access().ListAudit(std::nullopt, 100);
  int refused = 0;
  for (const AuditEntry& e : *audit) {
    if (e.action != "staff.sign_in_refused") continue;
    ++refused;
    EXPECT_EQ(e.actor, "li.wei");
    EXPECT_EQ(e.detail.find("a long password"), std::string::npos);
  }
  EXPECT_EQ(refused, 17);
  // an admin unlocks; a sign-in clears the count
  ASSERT_TRUE(store_->Staff().UnlockUser("li.wei", "admin"));
  EXPECT_EQ(Account().user.locked_until_ms, 0);
  EXPECT_EQ(Account().user.failed_attempts, 0);
}

TEST_F(StaffTest, ACodeOpensOneSessionOnly) {
  const int64_t now = NowUnixMs();
  const int64_t step = now / 1000 / 30;
  auto first = store_->Staff().StartSession(id_, step, TokenHash("one"), "", now);
  ASSERT_TRUE(first) << first.error().message;
  auto again = store_->Staff().StartSession(id_, step, TokenHash("two"), "", now);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kVersionConflict);
  // and the step is what the next check starts after
  EXPECT_EQ(Account().totp_last_step, step);
  EXPECT_EQ(MatchTotp(secret_, TotpCode(secret_, step), now / 1000, Account().totp_last_step),
            std::nullopt);
}

TEST_F(StaffTest, ASessionEndsIdleOrOldOrSignedOutOrWithItsAccount) {
  const int64_t t0 = NowUnixMs(), idle = 30 * kMinute, max = 12 * 60 * kMinute;
  ASSERT_TRUE(store_->Staff().StartSession(id_, t0 / 30000, TokenHash("s1"), "", t0));
  auto found = store_->Staff().FindSession(TokenHash("s1"), t0 + kMinute, idle, max);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "li.wei");
  EXPECT_EQ(found->role, Role::kCs);
  // used every 20 minutes it lives on, until 12 hours after its sign-in
  int64_t t = t0 + kMinute;
  while (t + 20 * kMinute < t0 + max) {
    t += 20 * kMinute;
    EXPECT_TRUE(store_->Staff().FindSession(TokenHash("s1"), t, idle, max)) << (t - t0) / kMinute;
  }
  EXPECT_FALSE(store_->Staff().FindSession(TokenHash("s1"), t0 + max + 1, idle, max));
  // left for 31 minutes it is gone
  ASSERT_TRUE(store_->Staff().StartSession(id_, t0 / 30000 + 1, TokenHash("s2"), "", t0));
  EXPECT_FALSE(store_->Staff().FindSession(TokenHash("s2"), t0 + 31 * kMinute, idle, max));
  // signed out
  ASSERT_TRUE(store_->Staff().StartSession(id_, t0 / 30000 + 2, TokenHash("s3"), "", t0));
  ASSERT_TRUE(store_->Staff().EndSession(TokenHash("s3"), ""));
  EXPECT_FALSE(store_->Staff().FindSession(TokenHash("s3"), t0, idle, max));
  EXPECT_EQ(store_->Staff().EndSession(TokenHash("s3"), "").error().code, Errc::kNotFound);
  // the account disabled: its sessions end with it
  ASSERT_TRUE(store_->Staff().StartSession(id_, t0 / 30000 + 3, TokenHash("s4"), "", t0));
  ASSERT_TRUE(store_->Staff().DisableUser("li.wei", "admin"));
  EXPECT_FALSE(store_->Staff().FindSession(TokenHash("s4"), t0, idle, max));
  EXPECT_EQ(store_->Staff().StartSession(id_, t0 / 30000 + 4, TokenHash("s5"), "", t0).error().code,
            Errc::kVersionConflict);
}

TEST_F(StaffTest, TheSecretIsEncryptedAtRestAndSurvivesAKeyRotation) {
  const std::string b32 = Base32Encode(secret_);
  store_.reset();
  std::ifstream in(db_path_, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(b32), std::string::npos);
  EXPECT_EQ(bytes.find(secret_), std::string::npos);
  const std::string new_key = "fedcba9876543210fedcba9876543210";
  ASSERT_TRUE(Store::RotateDataKey(db_path_.string(), kDataKey, new_key));
  auto reopened = Store::Open({db_path_.string(), 2, 3, new_key});
  ASSERT_TRUE(reopened) << reopened.error().message;
  auto found = (*reopened)->Staff().FindCredentials("li.wei");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->totp_secret, secret_);
}

}  // namespace
}  // namespace keepsake::orders
