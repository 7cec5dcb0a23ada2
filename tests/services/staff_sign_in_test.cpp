// The console's sign-in over a real server: an account made with `keepsake user create` (its
// enrolment QR read back with ZXing, as a phone would), a session cookie that works for reading,
// needs the console's header to change anything and ends on sign-out; five wrong codes lock the
// account, `keepsake user unlock` opens it again.
#include <regex>
#include <sstream>

#include <ZXing/ReadBarcode.h>
#include <ZXing/TextUtfEncoding.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/store.hpp"
#include "test_support.hpp"

namespace keepsake::testing {
namespace {

using nlohmann::json;

// The QR the command drew in the terminal (light modules as blocks, two rows a line) as pixels.
std::string ReadTerminalQr(const std::string& text) {
  std::vector<std::string> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("█", 0) == 0) rows.push_back(line);
  }
  if (rows.empty()) return "";
  constexpr int kScale = 8;
  const auto cells = [](const std::string& row) {
    std::vector<std::pair<bool, bool>> out;  // (top light, bottom light)
    for (size_t i = 0; i < row.size();) {
      if (row.compare(i, 3, "█") == 0)
        out.emplace_back(true, true), i += 3;
      else if (row.compare(i, 3, "▀") == 0)
        out.emplace_back(true, false), i += 3;
      else if (row.compare(i, 3, "▄") == 0)
        out.emplace_back(false, true), i += 3;
      else
        out.emplace_back(false, false), i += 1;
    }
    return out;
  };
  const int width = static_cast<int>(cells(rows[0]).size()) + 8;
  const int height = static_cast<int>(rows.size()) * 2 + 8;
  std::vector<uint8_t> pixels(static_cast<size_t>(width * kScale) * height * kScale, 255);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto row = cells(rows[r]);
    for (size_t c = 0; c < row.size(); ++c) {
      for (int half = 0; half < 2; ++half) {
        if (half == 0 ? row[c].first : row[c].second) continue;
        const int my = static_cast<int>(r) * 2 + half + 4, mx = static_cast<int>(c) + 4;
        for (int y = 0; y < kScale; ++y) {
          for (int x = 0; x < kScale; ++x) {
            pixels[static_cast<size_t>((my * kScale + y) * width * kScale + mx * kScale + x)] = 0;
          }
        }
      }
    }
  }
  const ZXing::ImageView view(pixels.data(), width * kScale, height * kScale,
                              ZXing::ImageFormat::Lum);
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  const ZXing::Result code = ZXing::ReadBarcode(view, hints);
  return code.isValid() ? ZXing::TextUtfEncoding::ToUtf8(code.text()) : "";
}

std::string CookieOf(const httplib::Result& res) {
  const std::string set = res->get_header_value("Set-Cookie");
  return set.substr(0, set.find(';'));
}

class StaffSignInTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start(); }

  std::string User(const std::vector<std::string>& args, int* code = nullptr,
                   const std::string& password = "") {
    std::string command;
    if (!password.empty()) command = "printf '%s\\n' '" + password + "' | ";
    command += KeepsakeBinary() + " user";
    for (const std::string& a : args) command += " '" + a + "'";
    command += " --data '" + server_.data_dir().string() + "'";
    return RunCommand({"/bin/sh", "-c", command}, code, true);
  }
  httplib::Result SignIn(const std::string& name, const std::string& password,
                         const std::string& code) {
    return server_.Client()->Post(
        "/api/v1/session", json{{"name", name}, {"password", password}, {"code", code}}.dump(),
        "application/json");
  }

  TempDir dir_;
  ServerProcess server_{dir_.path() / "data"};
};

TEST_F(StaffSignInTest, AnAccountSignsInWithItsPasswordAndTheCodeOfItsEnrolmentQr) {
  int code = -1;
  const std::string password = "a staff password long enough";
  const std::string made =
      User({"create", "--name", "li.wei", "--role", "cs", "--password-stdin"}, &code, password);
  ASSERT_EQ(code, 0) << made;
  EXPECT_EQ(made.find(password), std::string::npos);
  // the phone's view: the QR is an otpauth URI with the secret
  const std::string uri = ReadTerminalQr(made);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(
      uri, m, std::regex("otpauth://totp/Keepsake:li\\.wei\\?secret=([A-Z2-7]+)&.*")))
      << made;
  const std::string secret = *orders::Base32Decode(m[1].str());
  const int64_t step = orders::NowUnixMs() / 1000 / 30;

  // a short password is refused before anything is made
  User({"create", "--name", "short", "--role", "cs", "--password-stdin"}, &code, "too short");
  EXPECT_NE(code, 0);

  auto res = SignIn("li.wei", password, orders::TotpCode(secret, step));
  ASSERT_EQ(res->status, 201) << res->body;
  EXPECT_EQ(json::parse(res->body)["role"], "cs");
  const std::string set = res->get_header_value("Set-Cookie");
  for (const char* part : {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"}) {
    EXPECT_NE(set.find(part), std::string::npos) << set;
  }
  const httplib::Headers cookie = {{"Cookie", CookieOf(res)}};
  auto who = server_.Client()->Get("/api/v1/session", cookie);
  ASSERT_EQ(who->status, 200);
  EXPECT_EQ(json::parse(who->body)["name"], "li.wei");
  EXPECT_EQ(server_.Client()->Get("/api/v1/tickets", cookie)->status, 200);
  // its role's limits hold as a token's would
  EXPECT_EQ(server_.Client()->Get("/metrics", cookie)->status, 403);
  // a change without the console's header is refused (another site's page cannot add it)
  auto bare = server_.Client()->Delete("/api/v1/session", cookie);
  EXPECT_EQ(bare->status, 403);
  EXPECT_NE(bare->body.find("X-Keepsake-Console"), std::string::npos);
  // the same code again opens nothing
  EXPECT_EQ(SignIn("li.wei", password, orders::TotpCode(secret, step))->status, 401);
  // signing out ends the session and clears the cookie
  httplib::Headers console = cookie;
  console.emplace("X-Keepsake-Console", "1");
  auto out = server_.Client()->Delete("/api/v1/session", console);
  ASSERT_EQ(out->status, 204) << out->body;
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  auto after = server_.Client()->Get("/api/v1/session", cookie);
  EXPECT_EQ(after->status, 401);
  EXPECT_NE(after->body.find("sign in again"), std::string::npos);
  // the audit log has both, with the address and no password
  auto audit = server_.GetAs("/api/v1/audit", "admin");
  EXPECT_NE(audit->body.find("staff.sign_in"), std::string::npos);
  EXPECT_NE(audit->body.find("staff.sign_out"), std::string::npos);
  EXPECT_EQ(audit->body.find(password), std::string::npos);
}

TEST_F(StaffSignInTest, FiveWrongCodesLockTheAccountUntilAnAdminUnlocksIt) {
  int code = -1;
  const std::string password = "another long staff password";
  const std::string made =
      User({"create", "--name", "wang.fang", "--role", "logistics", "--password-stdin"}, &code,
           password);
  ASSERT_EQ(code, 0) << made;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(made, m, std::regex("secret=([A-Z2-7]+)")));
  const std::string secret = *orders::Base32Decode(m[1].str());
  const int64_t step = orders::NowUnixMs() / 1000 / 30;
  const std::string good = orders::TotpCode(secret, step);
  const std::string wrong = good == "000000" ? "000001" : "000000";

  // a name nobody has answers as a wrong password does
  auto nobody = SignIn("nobody", password, good);
  auto wrong_password = SignIn("wang.fang", "not the password", good);
  EXPECT_EQ(nobody->status, 401);
  EXPECT_EQ(json::parse(nobody->body)["detail"], json::parse(wrong_password->body)["detail"]);
  for (int i = 2; i <= 4; ++i) EXPECT_EQ(SignIn("wang.fang", password, wrong)->status, 401);
  auto fifth = SignIn("wang.fang", password, wrong);
  ASSERT_EQ(fifth->status, 429) << fifth->body;
  EXPECT_EQ(json::parse(fifth->body)["code"], "account_locked");
  EXPECT_GE(std::stoi(fifth->get_header_value("Retry-After")), 50);
  // locked: the right code does not open it
  EXPECT_EQ(SignIn("wang.fang", password, good)->status, 429);
  EXPECT_NE(User({"list"}).find("wang.fang\tlogistics"), std::string::npos);
  EXPECT_NE(User({"list"}).find("locked until"), std::string::npos);

  User({"unlock", "--name", "wang.fang"}, &code);
  ASSERT_EQ(code, 0);
  EXPECT_EQ(SignIn("wang.fang", password, good)->status, 201);
  // a person's codes come from their phone only
  const std::string refused = User({"code", "--name", "wang.fang"}, &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(refused.find("authenticator app"), std::string::npos);
  // disabled: no more sign-ins
  User({"disable", "--name", "wang.fang"}, &code);
  ASSERT_EQ(code, 0);
  EXPECT_EQ(SignIn("wang.fang", password, orders::TotpCode(secret, step + 1))->status, 401);
}

}  // namespace
}  // namespace keepsake::testing
