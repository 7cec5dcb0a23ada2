// Configuration of a running keepsake: where its data lives, how it listens, and the limits it
// enforces. Every value has a safe default; the command line overrides them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keepsake/orders/sla.hpp"

namespace keepsake::services {

struct WorkerLimits {
  int64_t memory_mb = 2048;     // RLIMIT_AS of a worker process
  int64_t cpu_s = 300;          // RLIMIT_CPU
  int64_t file_size_mb = 1024;  // RLIMIT_FSIZE: largest file a worker may write
  int64_t wall_s = 600;         // killed with SIGKILL after this long
  int64_t max_image_pixels = 100'000'000;
};

struct ServerConfig {
  std::string data_dir = "./var";
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string assets_dir;  // products.json and static files; found next to the binary if empty
  // The staff console: app/ (our pages) and node_modules/three (installed by npm ci); empty:
  // /console is not served.
  std::string console_dir;
  // The shop's Ed25519 key that signs deletion certificates (PEM, created on first use with
  // its public half beside it as .pub.pem); empty: keys/deletion-signing.pem in the data
  // directory.
  std::string signing_key;
  // The 32-byte data key that customers' names, phones and addresses are encrypted under (a
  // file of 64 hex digits, outside the data directory; made on first use when the database
  // holds no customers yet); empty: DIR.key beside the data directory DIR.
  std::string data_key_file;
  // TLS (PEM files): the certificate chain and its private key. Empty: plain HTTP, which is
  // only allowed on a loopback address unless allow_plain_http (a TLS proxy in front).
  std::string tls_cert;
  std::string tls_key;
  bool allow_plain_http = false;
  orders::SlaPolicy sla;  // customer-service levels (assets/sla.json, loaded by serve)
  int64_t max_upload_bytes = 100ll * 1024 * 1024;
  int64_t max_json_bytes = 1024 * 1024;
  // cpp-httplib serves a keep-alive connection on one thread for its whole life, so this is
  // also how many clients can hold a connection at once; jobs never run on these threads.
  int http_threads = 64;
  int http_queue = 256;  // accepted connections waiting for a handler thread
  int read_timeout_s = 15;
  // A connection that has not sent a whole request head this long after it opened (or after
  // its last answer) is closed; 0.5 s while other connections wait for a thread.
  int request_head_timeout_s = 10;
  // Per socket peer address, per minute (0: no limit): requests with an unknown or revoked
  // token (then 429 until the bucket refills), and searches by phone or name.
  int auth_failures_per_minute = 30;
  // A console session ends after this long unused, and this long after its sign-in at most.
  int64_t session_idle_ms = 30 * 60 * 1000;
  int64_t session_max_ms = 12 * 60 * 60 * 1000;
  int personal_searches_per_minute = 120;
  // Addresses of reverse proxies in front of Keepsake: only from these is X-Forwarded-For
  // believed (for rate limits and the audit log); from anyone else it is ignored.
  std::vector<std::string> trusted_proxies;
  // A request body must arrive at this rate at least, after a grace period, or the connection
  // is closed (a client that drips its body holds a handler thread); while other connections
  // wait for a thread, a body that stalls for the head deadline's busy value is closed too.
  int64_t min_body_bytes_per_s = 16 * 1024;
  int body_grace_s = 10;
  int write_timeout_s = 30;
  int job_workers = 2;            // concurrent sandboxed workers
  int64_t job_lease_ms = 60'000;  // renewed while the worker reports progress
  int job_max_attempts = 3;
  WorkerLimits worker;
  // Lets tests queue jobs that crash or run away on purpose (kinds fault_segv, fault_spin,
  // fault_alloc). Off unless KEEPSAKE_ENABLE_FAULT_JOBS=1 is in the environment.
  bool fault_jobs = false;
  // Notifications to the channel (empty url: none are sent; they wait in the outbox). The
  // secret signs each body (HMAC-SHA256); failed deliveries are retried after these seconds.
  std::string webhook_url;
  std::string webhook_secret;
  std::vector<int> webhook_backoff_s{60, 240, 960, 3840, 15360};
  // Tracking pushes from a carrier aggregator are signed with this secret (empty: refused).
  std::string tracking_secret;
  // The carriers file's text (SF Express, Kuaidi100 credentials; logistics/carrier.hpp), and
  // whether the simulated carrier may be chosen (the demo, a trial server; never production).
  std::string carriers_json;
  // Parcels on their way of which nothing was heard this long are looked up with their carrier
  // (tracking_poller.hpp); the poller looks every round.
  int tracking_poll_after_s = 6 * 3600;
  int tracking_poll_round_s = 600;
  bool simulated_carrier = false;
};

}  // namespace keepsake::services
