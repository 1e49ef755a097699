#include "edge/tokens.hpp"

#include <cerrno>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <jwt.h>
#include <sodium.h>
#include <sys/stat.h>

namespace broker::edge {

namespace {

struct jwt_deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

const unsigned char* key_bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

} // namespace

token_authority::token_authority(std::string secret, int64_t ttl_seconds, const utc_clock& clock,
                                 std::string audience)
  : secret_(std::move(secret)), ttl_seconds_(ttl_seconds), clock_(clock), audience_(std::move(audience)) {
  if (secret_.size() < 32)
    throw std::invalid_argument("token secret must be at least 32 bytes");
}

issued_token token_authority::issue(user_id user) const { return issue_for(std::to_string(user)); }

issued_token token_authority::issue_for(const std::string& sub) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0)
    throw std::runtime_error("jwt_new failed");
  jwt_ptr j{raw};
  timestamp now = clock_.now();
  long now_s = static_cast<long>(now / ns_per_second);
  long exp_s = now_s + static_cast<long>(ttl_seconds_);
  if (!audience_.empty() && jwt_add_grant(j.get(), "aud", audience_.c_str()) != 0)
    throw std::runtime_error("could not build a token");
  if (jwt_add_grant(j.get(), "sub", sub.c_str()) != 0 || jwt_add_grant_int(j.get(), "iat", now_s) != 0
      || jwt_add_grant_int(j.get(), "exp", exp_s) != 0
      || jwt_set_alg(j.get(), JWT_ALG_HS256, key_bytes(secret_), static_cast<int>(secret_.size())) != 0)
    throw std::runtime_error("could not build a token");
  std::unique_ptr<char, decltype(&free)> encoded{jwt_encode_str(j.get()), &free};
  if (!encoded)
    throw std::runtime_error("could not encode a token");
  return {encoded.get(), exp_s * ns_per_second};
}

std::optional<user_id> token_authority::verify(const std::string& token) const {
  auto sub = subject_of(token);
  if (!sub)
    return std::nullopt;
  try {
    size_t used = 0;
    long long id = std::stoll(*sub, &used);
    if (used != sub->size() || id <= 0)
      return std::nullopt;
    return static_cast<user_id>(id);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> token_authority::subject_of(const std::string& token) const {
  if (token.empty() || token.size() > 4096)
    return std::nullopt;
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), key_bytes(secret_), static_cast<int>(secret_.size())) != 0)
    return std::nullopt;
  jwt_ptr j{raw};
  // Only our own algorithm: never "none", never a key confusion.
  if (jwt_get_alg(j.get()) != JWT_ALG_HS256)
    return std::nullopt;
  errno = 0;
  long exp = jwt_get_grant_int(j.get(), "exp");
  if (errno != 0 || exp * ns_per_second <= clock_.now())
    return std::nullopt;
  const char* aud = jwt_get_grant(j.get(), "aud");
  if (audience_.empty() ? aud != nullptr : (!aud || audience_ != aud))
    return std::nullopt;
  const char* sub = jwt_get_grant(j.get(), "sub");
  if (!sub || !*sub)
    return std::nullopt;
  return std::string{sub};
}

std::string load_or_create_secret(const std::string& path) {
  {
    std::ifstream in{path, std::ios::binary};
    if (in) {
      std::string s{std::istreambuf_iterator<char>{in}, {}};
      if (s.size() >= 32)
        return s;
    }
  }
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium failed to initialise");
  std::string secret(32, '\0');
  randombytes_buf(secret.data(), secret.size()); // key material, not simulation randomness
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  if (!out.write(secret.data(), static_cast<std::streamsize>(secret.size())))
    throw std::runtime_error("cannot write token secret to " + path);
  out.close();
  ::chmod(path.c_str(), 0600);
  return secret;
}

} // namespace broker::edge
