// Private: what the carrier adapters share: form bodies, the carriers' digests (MD5 in hex or
// Base64, Java's URLEncoder that SF signs over), China time, and one POST with a deadline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keepsake/logistics/carrier.hpp"

namespace keepsake::logistics::carrier_http {

// application/x-www-form-urlencoded, UTF-8 (every byte but A-Z a-z 0-9 - . _ ~ escaped).
std::string FormEncode(const FormFields& fields);
FormFields FormDecode(const std::string& body);
// The first value of `name`, or "".
std::string Field(const FormFields& fields, const std::string& name);

// java.net.URLEncoder.encode(text, "UTF-8"): A-Z a-z 0-9 . - * _ kept, space as +, the rest %XX.
std::string JavaUrlEncode(std::string_view text);
std::string Md5Hex(std::string_view data, bool upper);
std::string Md5Base64(std::string_view data);
// A fresh id for a request (32 hex digits).
std::string NewRequestId();
int64_t NowMs();

// "2026-11-20 18:00:00" in China Standard Time (UTC+8, how SF and Kuaidi100 write times) as
// ISO 8601 UTC, or "" when it is not such a time.
std::string UtcFromChinaTime(const std::string& local);

struct Answer {
  int status = 0;  // 0: no answer (error says why)
  std::string body;
  std::string error;
};
// POSTs `fields` as a form to `url` (http or https) and waits at most `timeout_s`.
Answer PostForm(const std::string& url, const FormFields& fields, int timeout_s);

// The error for an answer that is not a 200: no answer or the carrier's own failure.
CarrierError Unavailable(const std::string& carrier, const Answer& answer);

// A short stable id for a scan that came without one: `prefix` + 16 hex of SHA-256(parts).
std::string ScanId(const std::string& prefix, const std::string& parts);

}  // namespace keepsake::logistics::carrier_http
