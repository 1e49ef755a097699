#pragma once
// Session tokens: JWT (HS256, libjwt) carrying the user id in "sub" and an
// expiry in "exp". Expiry is judged by the injected clock, not libjwt's.
// Operators' tokens are the same kind with the operator's name as "sub", an
// "aud" of their own and a key of their own: neither kind passes for the other.
#include <optional>
#include <string>

#include "protocol/clock.hpp"
#include "protocol/types.hpp"

namespace broker::edge {

struct issued_token {
  std::string token;
  timestamp expires_at = 0;
};

class token_authority {
public:
  // `secret` is at least 32 bytes of randomness (see load_or_create_secret).
  // `audience`: "" for users' tokens (no "aud" claim), else the claim every
  // token must carry.
  token_authority(std::string secret, int64_t ttl_seconds, const utc_clock& clock,
                  std::string audience = {});
  issued_token issue(user_id user) const;
  // The user a token was issued to, or nullopt when it is forged, malformed,
  // signed with another algorithm or key, or expired.
  std::optional<user_id> verify(const std::string& token) const;
  // The same for any subject (an operator's name).
  issued_token issue_for(const std::string& subject) const;
  std::optional<std::string> subject_of(const std::string& token) const;
  int64_t ttl_seconds() const { return ttl_seconds_; }

private:
  std::string secret_;
  int64_t ttl_seconds_;
  const utc_clock& clock_;
  std::string audience_;
};

// Reads the signing secret from `path`, or creates one (libsodium randombytes,
// file mode 0600) so tokens stay valid across a restart of the same data dir.
std::string load_or_create_secret(const std::string& path);

} // namespace broker::edge
