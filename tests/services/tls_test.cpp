// TLS in the server itself, checked by curl (not our client): a self-signed certificate made
// here with the openssl command, the server on loopback with --tls-cert/--tls-key, curl
// --cacert trusting only that certificate. TLS 1.1, CBC ciphers and plain HTTP on the same
// port are refused (openssl s_client asks); HSTS is sent; plain HTTP off loopback is refused
// at start with what to do.
#include <gtest/gtest.h>

#include <string>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(Tls, CurlTrustsTheServerItsCertificateNamesAndOldProtocolsAreRefused) {
  TempDir dir;
  const std::string cert = (dir.path() / "cert.pem").string();
  const std::string key = (dir.path() / "key.pem").string();
  int code = -1;
  const std::string made =
      RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days",
                  "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
                 &code, true);
  ASSERT_EQ(code, 0) << made;
  ServerProcess server(dir.path() / "data", {"--tls-cert", cert, "--tls-key", key});
  server.Start();  // its /healthz answered over TLS
  const std::string base = "https://127.0.0.1:" + std::to_string(server.port());
  const std::string token = server.Token("cs");

  // curl, trusting only our certificate: the API answers, with HSTS
  const std::string answer =
      RunCommand({"/usr/bin/curl", "-sS", "-i", "--cacert", cert, "-H",
                  "Authorization: Bearer " + token, base + "/api/v1/orders?limit=1"},
                 &code, true);
  ASSERT_EQ(code, 0) << answer;
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Strict-Transport-Security: max-age=31536000"), std::string::npos)
      << answer;
  // without our certificate curl refuses the server (it is not a public authority's)
  RunCommand({"/usr/bin/curl", "-sS", "-o", "/dev/null", base + "/healthz"}, &code, true);
  EXPECT_NE(code, 0);
  // TLS 1.1, and TLS 1.2 with a CBC cipher, are refused by the server: asked by openssl's own
  // client with its security level lowered, so that only the server can say no (Debian's curl
  // would refuse TLS 1.1 itself)
  const std::string address = "127.0.0.1:" + std::to_string(server.port());
  for (const auto& [protocol, cipher] :
       {std::pair<std::string, std::string>{"-tls1_1", "DEFAULT@SECLEVEL=0"},
        {"-tls1_2", "ECDHE-ECDSA-AES128-SHA@SECLEVEL=0"}}) {
    const std::string weak = RunCommand({"/bin/sh", "-c",
                                         "echo | /usr/bin/openssl s_client -connect " + address +
                                             " " + protocol + " -cipher '" + cipher + "'"},
                                        &code, true);
    EXPECT_NE(code, 0) << protocol << " " << cipher << " was taken:\n" << weak;
  }
  // TLS 1.2 with a forward-secret AEAD cipher is taken
  const std::string twelve =
      RunCommand({"/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cert,
                  "--tlsv1.2", "--tls-max", "1.2", base + "/healthz"},
                 &code, true);
  EXPECT_EQ(code, 0) << twelve;
  EXPECT_EQ(twelve, "200");
  // plain HTTP to the TLS port gets no answer
  const std::string plain =
      RunCommand({"/usr/bin/curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                  "http://127.0.0.1:" + std::to_string(server.port()) + "/healthz"},
                 &code, true);
  EXPECT_EQ(plain.find("200"), std::string::npos) << plain;
}

TEST(Tls, PlainHttpOffLoopbackAndHalfAConfigurationAreRefusedAtStart) {
  TempDir dir;
  int code = -1;
  const std::string open =
      RunCommand({KeepsakeBinary(), "serve", "--data", (dir.path() / "d").string(), "--listen",
                  "0.0.0.0:0", "--assets", SourceDir() + "/assets"},
                 &code, true);
  EXPECT_EQ(code, 1);
  EXPECT_NE(open.find("--tls-cert and --tls-key, or --allow-plain-http"), std::string::npos)
      << open;
  const std::string half = RunCommand(
      {KeepsakeBinary(), "serve", "--data", (dir.path() / "d").string(), "--listen", "127.0.0.1:0",
       "--tls-cert", (dir.path() / "none.pem").string(), "--assets", SourceDir() + "/assets"},
      &code, true);
  EXPECT_EQ(code, 1);
  EXPECT_NE(half.find("both --tls-cert and --tls-key"), std::string::npos) << half;
  // a certificate that cannot be read: said at start, not at the first request
  const std::string missing =
      RunCommand({KeepsakeBinary(), "serve", "--data", (dir.path() / "d").string(), "--listen",
                  "127.0.0.1:0", "--tls-cert", (dir.path() / "none.pem").string(), "--tls-key",
                  (dir.path() / "none.key").string(), "--assets", SourceDir() + "/assets"},
                 &code, true);
  EXPECT_EQ(code, 1);
  EXPECT_NE(missing.find("cannot read the TLS certificate"), std::string::npos) << missing;
}

}  // namespace
}  // namespace keepsake::testing
