// The fixture of the HTTP API tests: one real keepsake server on loopback (a real SQLite file)
// per test suite, and the calls the tests make as each role.
#pragma once

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace keepsake::testing {

class ApiTest : public ::testing::Test {
 public:
  using json = nlohmann::json;

 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // the route x role matrix sends a forged token to every route
    server_ = new ServerProcess(dir_->path() / "data",
                                {"--max-upload-mb", "2", "--auth-failures-per-minute", "1000"});
    server_->Start();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static httplib::Result Post(const std::string& path, const std::string& role, const json& body,
                              const httplib::Headers& extra = {}) {
    return server_->PostAs(path, role, body.dump(), extra);
  }
  static httplib::Result Get(const std::string& path, const std::string& role) {
    return server_->GetAs(path, role);
  }
  static json CreateOrder(const json& body, const std::string& key) {
    auto res = Post("/api/v1/orders", "channel", body, {{"Idempotency-Key", key}});
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 201) << res->body;
    return json::parse(res->body);
  }
  static std::string MeshAsset() {
    static std::string id = UploadAsset(*server_, server_->Token("channel"), TexturedFigureGlb());
    return id;
  }
  static int64_t CountOrders(const std::string& channel_ref) {
    auto res = Get("/api/v1/orders?limit=200&channel_ref=" + channel_ref, "admin");
    return static_cast<int64_t>(json::parse(res->body)["orders"].size());
  }

  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

}  // namespace keepsake::testing
