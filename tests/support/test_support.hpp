// Shared test helpers: temporary folders, the real keepsake binary started on loopback with a
// real SQLite file, tokens made by `keepsake token create`, and raw HTTP for the guard tests.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "sample_files.hpp"

namespace keepsake::testing {

// Paths given by CMake.
std::string KeepsakeBinary();
std::string SourceDir();
std::string ReadFile(const std::filesystem::path& path);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs argv[0] (an absolute path); returns its stdout (with `with_stderr`, stderr too) and
// puts the exit status in `exit_code`.
std::string RunCommand(const std::vector<std::string>& argv, int* exit_code = nullptr,
                       bool with_stderr = false);

// `keepsake serve` as a child process on 127.0.0.1 and a free port.
class ServerProcess {
 public:
  // `extra_args` are appended to serve; `env` adds to the environment.
  ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args = {},
                std::map<std::string, std::string> env = {});
  ~ServerProcess();

  // The working directory of the server process (default: the test's); --data is then given
  // relative to it.
  void SetWorkingDir(std::filesystem::path dir) { working_dir_ = std::move(dir); }
  // Test servers offer the simulated carrier (--simulated-carrier) unless told not to, as a
  // production server would not.
  void WithoutSimulatedCarrier() { simulated_carrier_ = false; }
  void Start();               // waits until /healthz answers
  void Kill(int signal = 9);  // and reaps it
  void Stop() { Kill(15); }
  bool Running() const { return pid_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path log_path() const { return data_dir_ / "server.log"; }
  std::unique_ptr<httplib::Client> Client() const;

  // A token for `role` created with the CLI on this data directory, named test-<role> or
  // `name` (a channel is the name of its tokens).
  std::string Token(const std::string& role);
  std::string Token(const std::string& role, const std::string& name);
  // A request with `role`'s token (and `extra` headers): the body as given, JSON by type.
  httplib::Result PostAs(const std::string& path, const std::string& role, const std::string& body,
                         const httplib::Headers& extra = {});
  httplib::Result GetAs(const std::string& path, const std::string& role);

 private:
  std::filesystem::path data_dir_;
  std::filesystem::path working_dir_;
  std::vector<std::string> extra_args_;
  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> tokens_;
  pid_t pid_ = -1;
  bool wrapped_ = false;  // started under KEEPSAKE_TEST_SERVER_WRAPPER, in a process group
  bool simulated_carrier_ = true;
  int port_ = 0;
};

httplib::Headers Bearer(const std::string& token);

// A TCP connection to 127.0.0.1:port (the descriptor), or -1.
int ConnectLoopback(int port);
// Sends `request` verbatim on a new loopback connection and returns the whole response.
std::string RawHttp(int port, const std::string& request);
int StatusOf(const std::string& raw_response);

// Uploads a file as the raw body of POST /api/v1/assets; returns the asset id (sha256).
std::string UploadAsset(const ServerProcess& server, const std::string& token,
                        const std::string& content);

// A valid order body with one item.
nlohmann::json OrderBody(const std::string& channel_ref, const std::string& product,
                         const std::string& asset,
                         nlohmann::json options = nlohmann::json::object());

// Uploads a file of tests/data (e.g. "images/x.jpg") as the channel and places a one-item
// order for `product` under channel_ref `ref`; returns the item id. Fails the test otherwise.
// A magnet order whose picture (the fennec girl, sharp enough) passes its checks, taken through
// production by the production role: the order is ready to pack. Throws on any failure.
struct ProducedOrder {
  std::string number;     // KS...
  std::string item_path;  // /api/v1/items/N
  std::string photo;      // the picture's asset id
};
// `customer` is merged into the default customer (RFC 7386), e.g. {"address": {"city": ...}}.
ProducedOrder ProduceMagnetOrder(ServerProcess& server, const std::string& ref,
                                 const nlohmann::json& customer = nlohmann::json::object());

// HMAC-SHA256 as lowercase hex, computed here with OpenSSL to check the server's signatures.
std::string HmacSha256Hex(const std::string& key, const std::string& data);

std::string PlaceOrderWithFile(ServerProcess& server, const std::string& test_file,
                               const std::string& product, const std::string& ref);
// GET /api/v1/items/{item}/jobs and GET /api/v1/items/{item} as `role`.
nlohmann::json ItemJobs(ServerProcess& server, const std::string& item,
                        const std::string& role = "cs");
std::string ItemState(ServerProcess& server, const std::string& item,
                      const std::string& role = "cs");

// Polls until pred() or the timeout; returns pred().
bool WaitFor(const std::function<bool()>& pred, int timeout_ms);

}  // namespace keepsake::testing
