#include "carrier_http.hpp"

#include <openssl/evp.h>
#include <cctype>

#include <cstdio>
#include <memory>
#include <optional>
#include <regex>

#include <httplib.h>

#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/sla.hpp"

namespace keepsake::logistics::carrier_http {

namespace {

constexpr char kHex[] = "0123456789ABCDEF";

std::string Md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

}  // namespace

std::string FormEncode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    for (const std::string* part : {&name, &value}) {
      for (unsigned char c : *part) {
        if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
          out += static_cast<char>(c);
        } else {
          out += '%';
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
      }
      if (part == &name) out += '=';
    }
  }
  return out;
}

std::string Field(const FormFields& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

std::string JavaUrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '.' || c == '-' || c == '*' || c == '_') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Md5Hex(std::string_view data, bool upper) {
  std::string hex = orders::HexEncode(Md5(data));
  if (upper) {
    for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return hex;
}

std::string Md5Base64(std::string_view data) {
  const std::string digest = Md5(data);
  unsigned char out[32];
  const int n = EVP_EncodeBlock(out, reinterpret_cast<const unsigned char*>(digest.data()),
                                static_cast<int>(digest.size()));
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

std::string Kilograms(int grams) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", grams / 1000.0);
  return text;
}

std::string UtcFromChinaTime(const std::string& local) {
  static const std::regex pattern(R"((\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}))");
  std::smatch m;
  if (!std::regex_match(local, m, pattern)) return "";
  const int64_t ms = orders::UnixMsFromIso(m[1].str() + "T" + m[2].str() + "Z");
  if (ms < 0) return "";
  return orders::IsoFromUnixMs(ms - 8 * 3'600'000);
}

namespace {

// An http(s) URL as the server to call and the path on it, or nullopt.
struct Target {
  std::string origin;  // https://host:port
  std::string path;    // /path?query
};
std::optional<Target> Split(const std::string& url) {
  static const std::regex pattern(
      R"(^(https?://(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\])(?::\d{1,5})?)(/[^\s?#]*)?(\?[^\s#]*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, pattern)) return std::nullopt;
  return Target{m[1].str(), (m[2].matched ? m[2].str() : std::string("/")) + m[3].str()};
}

std::unique_ptr<httplib::Client> ClientFor(const Target& target, int timeout_s) {
  auto client = std::make_unique<httplib::Client>(target.origin);
  client->set_connection_timeout(timeout_s, 0);
  client->set_read_timeout(timeout_s, 0);
  client->set_write_timeout(timeout_s, 0);
  return client;
}

}  // namespace

CarrierResult<nlohmann::json> PostForJson(const std::string& carrier, const std::string& url,
                                          const FormFields& fields, int timeout_s) {
  const auto target = Split(url);
  if (!target) {
    return tl::unexpected(
        CarrierError{CarrierErrc::kProtocol,
                     carrier + "'s address in the carriers file is not an http(s) URL", ""});
  }
  auto client = ClientFor(*target, timeout_s);
  auto res = client->Post(target->path, {{"User-Agent", "Keepsake/1"}}, FormEncode(fields),
                          "application/x-www-form-urlencoded;charset=UTF-8");
  if (!res) {
    return tl::unexpected(
        Unavailable(carrier, "no answer (" + httplib::to_string(res.error()) + ")"));
  }
  if (res->status != 200) {
    return tl::unexpected(Unavailable(carrier, "answered HTTP " + std::to_string(res->status)));
  }
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (!body.is_object()) {
    return tl::unexpected(
        CarrierError{CarrierErrc::kProtocol, carrier + " answered something that is not JSON", ""});
  }
  return body;
}

CarrierResult<std::string> GetFile(const std::string& carrier, const std::string& url,
                                   const HeaderList& headers, int timeout_s, size_t max_bytes) {
  const auto target = Split(url);
  if (!target) {
    return tl::unexpected(CarrierError{
        CarrierErrc::kProtocol, carrier + " gave a file address that is not an http(s) URL", ""});
  }
  auto client = ClientFor(*target, timeout_s);
  httplib::Headers sent{{"User-Agent", "Keepsake/1"}};
  sent.insert(headers.begin(), headers.end());
  std::string body;
  bool too_long = false;
  auto res = client->Get(target->path, sent, [&](const char* data, size_t size) {
    too_long = body.size() + size > max_bytes;
    if (!too_long) body.append(data, size);
    return !too_long;
  });
  if (too_long) {
    return tl::unexpected(CarrierError{
        CarrierErrc::kProtocol,
        carrier + "'s file is larger than " + std::to_string(max_bytes / 1024 / 1024) + " MB", ""});
  }
  if (!res) {
    return tl::unexpected(CarrierError{
        CarrierErrc::kUnavailable,
        carrier + " did not send the file (" + httplib::to_string(res.error()) + ")", ""});
  }
  if (res->status == 401 || res->status == 403) {
    return tl::unexpected(CarrierError{
        CarrierErrc::kUnauthorized,
        carrier + " refused the file's token (HTTP " + std::to_string(res->status) + ")",
        std::to_string(res->status)});
  }
  if (res->status != 200) {
    return tl::unexpected(CarrierError{
        CarrierErrc::kUnavailable,
        carrier + " answered HTTP " + std::to_string(res->status) + " for the file", ""});
  }
  return body;
}

CarrierError Unavailable(const std::string& carrier, const std::string& what) {
  return {CarrierErrc::kUnavailable,
          carrier + " " + what +
              "; nothing was booked on our side, and trying again sends the same order id, so "
              "the carrier cannot book it twice",
          ""};
}

std::string ScanId(const std::string& prefix, const std::string& parts) {
  return prefix + orders::Sha256Hex(parts).substr(0, 16);
}

}  // namespace keepsake::logistics::carrier_http

namespace keepsake::logistics {

FormFields ParseForm(const std::string& body) {
  httplib::Params params;
  httplib::detail::parse_query_text(body, params);
  return FormFields(params.begin(), params.end());
}

}  // namespace keepsake::logistics
