#include "actors/passwords.hpp"

#include <stdexcept>

#include <sodium.h>

namespace broker {

password_cost password_cost::minimum() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

std::string hash_password(const std::string& password, const password_cost& cost) {
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.opslimit, cost.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13)
      != 0)
    throw std::runtime_error("password hashing ran out of memory");
  return out;
}

bool password_matches(const std::string& hash, const std::string& password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

} // namespace broker
