#include "test_support.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace keepsake::testing {

namespace fs = std::filesystem;

std::string KeepsakeBinary() { return KEEPSAKE_BINARY; }
std::string SourceDir() { return KEEPSAKE_SOURCE_DIR; }
std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("keepsake-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string RunCommand(const std::vector<std::string>& argv, int* exit_code, bool with_stderr) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    if (with_stderr) dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

ServerProcess::ServerProcess(fs::path data_dir, std::vector<std::string> extra_args,
                             std::map<std::string, std::string> env)
    : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)), env_(std::move(env)) {}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill(SIGKILL);
  // No personal data in logs (DESIGN): every test that ran a server checks that server's whole
  // log for a mobile number and for the names and addresses the tests send.
  std::ifstream in(log_path());
  // a mobile number standing alone (not inside a hex request id)
  static const std::regex phone("(^|[^0-9A-Za-z])1[3-9][0-9]{9}([^0-9A-Za-z]|$)");
  static const char* const kSent[] = {"测试顾客", "文三路",   "502 室", "王小明",
                                      "李娜",     "欧阳清风", "示例路", "新年快乐"};
  for (std::string line; std::getline(in, line);) {
    bool personal = std::regex_search(line, phone);
    for (const char* text : kSent) personal |= line.find(text) != std::string::npos;
    if (personal) ADD_FAILURE() << "personal data in the server log: " << line;
  }
}

void ServerProcess::Start() {
  fs::create_directories(data_dir_);
  const fs::path port_file = data_dir_ / "port";
  fs::remove(port_file);
  const std::string data_arg = working_dir_.empty()
                                   ? data_dir_.string()
                                   : data_dir_.lexically_relative(working_dir_).string();
  std::vector<std::string> argv = {
      KeepsakeBinary(), "serve",       "--data",           data_arg,   "--listen",
      "127.0.0.1:0",    "--port-file", port_file.string(), "--assets", SourceDir() + "/assets"};
  if (simulated_carrier_) argv.push_back("--simulated-carrier");
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  // tests/soak/strace_soak.sh runs the server under strace this way
  wrapped_ = std::getenv("KEEPSAKE_TEST_SERVER_WRAPPER") != nullptr;
  if (const char* wrapper = std::getenv("KEEPSAKE_TEST_SERVER_WRAPPER")) {
    std::istringstream words(wrapper);
    std::vector<std::string> prefix;
    for (std::string word; words >> word;) prefix.push_back(word);
    argv.insert(argv.begin(), prefix.begin(), prefix.end());
  }
  const std::string log = log_path().string();
  pid_ = fork();
  if (pid_ == 0) {
    // a wrapper (strace) and the server in a group of their own, so a signal reaches both:
    // strace only detaches when it is told to stop, and the server would run on
    if (wrapped_) setpgid(0, 0);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 2);
    int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    for (const auto& [k, v] : env_) setenv(k.c_str(), v.c_str(), 1);
    if (!working_dir_.empty() && chdir(working_dir_.c_str()) != 0) _exit(126);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());  // a wrapper is found on the PATH
    dprintf(2, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  const bool up = WaitFor(
      [&] {
        if (!fs::exists(port_file)) return false;
        port_ = std::stoi(ReadFile(port_file));
        auto res = Client()->Get("/healthz");
        return res && res->status == 200;
      },
      30000);
  if (!up) {
    // the log goes with the test's folder: its end is the reason
    std::string tail = fs::exists(log) ? ReadFile(log) : std::string();
    if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
    throw std::runtime_error("keepsake serve did not come up; its log ends:\n" + tail);
  }
}

void ServerProcess::Kill(int signal) {
  if (pid_ <= 0) return;
  kill(wrapped_ ? -pid_ : pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::unique_ptr<httplib::Client> ServerProcess::Client() const {
  // a server given --tls-cert (self-signed in the tests) is spoken to over TLS, its
  // certificate the one trusted authority
  std::string tls_cert;
  for (size_t i = 0; i + 1 < extra_args_.size(); ++i) {
    if (extra_args_[i] == "--tls-cert") tls_cert = extra_args_[i + 1];
  }
  auto client =
      tls_cert.empty()
          ? std::make_unique<httplib::Client>("127.0.0.1", port_)
          : std::make_unique<httplib::Client>("https://127.0.0.1:" + std::to_string(port_));
  if (!tls_cert.empty()) client->set_ca_cert_path(tls_cert.c_str());
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(30, 0);
  client->set_write_timeout(30, 0);
  return client;
}

httplib::Result ServerProcess::PostAs(const std::string& path, const std::string& role,
                                      const std::string& body, const httplib::Headers& extra) {
  httplib::Headers headers = Bearer(Token(role));
  headers.insert(extra.begin(), extra.end());
  return Client()->Post(path, headers, body, "application/json");
}

httplib::Result ServerProcess::GetAs(const std::string& path, const std::string& role) {
  return Client()->Get(path, Bearer(Token(role)));
}

std::string ServerProcess::Token(const std::string& role) { return Token(role, "test-" + role); }

std::string ServerProcess::Token(const std::string& role, const std::string& name) {
  const std::string key = role + "/" + name;
  auto it = tokens_.find(key);
  if (it != tokens_.end()) return it->second;
  int code = 0;
  std::string out = RunCommand({KeepsakeBinary(), "token", "create", "--data", data_dir_.string(),
                                "--role", role, "--name", name},
                               &code);
  if (code != 0) throw std::runtime_error("token create failed for " + role);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  tokens_[key] = out;
  return out;
}

httplib::Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string RawHttp(int port, const std::string& request) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) throw std::runtime_error("connect failed");
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  // Read one response: headers, then Content-Length bytes. (No half-close: cpp-httplib treats
  // a half-closed peer as gone and would not answer.)
  std::string response;
  char buf[4096];
  size_t header_end = std::string::npos;
  size_t want = std::string::npos;
  while (want == std::string::npos || response.size() < want) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos &&
        (header_end = response.find("\r\n\r\n")) != std::string::npos) {
      size_t length = 0;
      const size_t at = response.find("Content-Length: ");
      if (at != std::string::npos && at < header_end) length = std::stoul(response.substr(at + 16));
      want = header_end + 4 + length;
    }
  }
  close(fd);
  return response;
}

int StatusOf(const std::string& raw) {
  if (raw.size() < 12 || raw.compare(0, 5, "HTTP/") != 0) return -1;
  return std::stoi(raw.substr(9, 3));
}

std::string UploadAsset(const ServerProcess& server, const std::string& token,
                        const std::string& content) {
  auto res =
      server.Client()->Post("/api/v1/assets", Bearer(token), content, "application/octet-stream");
  if (!res || res->status != 201) {
    throw std::runtime_error("upload failed: " + (res ? res->body : std::string("no response")));
  }
  return nlohmann::json::parse(res->body)["id"].get<std::string>();
}

nlohmann::json OrderBody(const std::string& channel_ref, const std::string& product,
                         const std::string& asset, nlohmann::json options) {
  nlohmann::json item = {{"product", product}, {"options", options}};
  if (!asset.empty()) item["asset"] = asset;
  return {{"channel_ref", channel_ref},
          {"customer",
           {{"name", "测试顾客"},
            {"phone", "13912345678"},
            {"address",
             {{"province", "浙江省"},
              {"city", "杭州市"},
              {"district", "西湖区"},
              {"street", "文三路 90 号"},
              {"detail", "3 幢 502 室"}}}}},
          {"items", nlohmann::json::array({item})}};
}

ProducedOrder ProduceMagnetOrder(ServerProcess& server, const std::string& ref,
                                 const nlohmann::json& customer) {
  ProducedOrder out;
  out.photo = UploadAsset(server, server.Token("channel"),
                          ReadFile(TestData("images/portrait_anime_fennec_girl_1024.png")));
  nlohmann::json body = OrderBody(ref, "magnet-rect", out.photo);
  body["customer"].merge_patch(customer);
  auto created = server.Client()->Post(
      "/api/v1/orders",
      {{"Authorization", "Bearer " + server.Token("channel")}, {"Idempotency-Key", ref}},
      body.dump(), "application/json");
  if (!created || created->status != 201) throw std::runtime_error("the magnet order failed");
  const nlohmann::json order = nlohmann::json::parse(created->body);
  out.number = order["number"];
  out.item_path = "/api/v1/items/" + std::to_string(order["items"][0]["id"].get<int64_t>());
  const httplib::Headers cs = Bearer(server.Token("cs"));
  if (!WaitFor(
          [&] {
            auto res = server.Client()->Get(out.item_path, cs);
            return res && nlohmann::json::parse(res->body)["state"] == "approved";
          },
          30000)) {
    throw std::runtime_error("the magnet was not approved by its checks");
  }
  for (const char* event : {"start_production", "produced"}) {
    auto res =
        server.Client()->Post(out.item_path + "/transitions", Bearer(server.Token("production")),
                              nlohmann::json{{"event", event}}.dump(), "application/json");
    if (!res || res->status != 200) throw std::runtime_error(std::string(event) + " failed");
  }
  return out;
}

std::string HmacSha256Hex(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

std::string PlaceOrderWithFile(ServerProcess& server, const std::string& test_file,
                               const std::string& product, const std::string& ref) {
  const std::string token = server.Token("channel");
  const std::string asset = UploadAsset(server, token, ReadFile(TestData(test_file)));
  auto res = server.Client()->Post(
      "/api/v1/orders", {{"Authorization", "Bearer " + token}, {"Idempotency-Key", "key-" + ref}},
      OrderBody(ref, product, asset).dump(), "application/json");
  if (!res || res->status != 201) {
    throw std::runtime_error("order failed: " + (res ? res->body : std::string("no response")));
  }
  return std::to_string(nlohmann::json::parse(res->body)["items"][0]["id"].get<int64_t>());
}

nlohmann::json ItemJobs(ServerProcess& server, const std::string& item, const std::string& role) {
  return nlohmann::json::parse(server.GetAs("/api/v1/items/" + item + "/jobs", role)->body)["jobs"];
}

std::string ItemState(ServerProcess& server, const std::string& item, const std::string& role) {
  return nlohmann::json::parse(server.GetAs("/api/v1/items/" + item, role)->body)["state"];
}

bool WaitFor(const std::function<bool()>& pred, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (pred()) return true;
    } catch (...) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  try {
    return pred();
  } catch (...) {
    return false;
  }
}

}  // namespace keepsake::testing
