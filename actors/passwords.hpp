#pragma once
// Password hashing for users and operators alike: libsodium's argon2id, with
// a cost that tests may lower to libsodium's floor.
#include <cstddef>
#include <string>

namespace broker {

struct password_cost {
  unsigned long long opslimit = 2;            // crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t memlimit = 64ull * 1024 * 1024;      // crypto_pwhash_MEMLIMIT_INTERACTIVE
  static password_cost minimum();             // for tests: libsodium's floor
};

// crypto_pwhash_str with argon2id13; throws std::runtime_error when libsodium
// cannot start or runs out of memory.
std::string hash_password(const std::string& password, const password_cost& cost);
// Constant-time in the password; false for a malformed hash.
bool password_matches(const std::string& hash, const std::string& password);

} // namespace broker
