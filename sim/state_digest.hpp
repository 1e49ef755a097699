#pragma once
// A digest of a broker database's contents: every table but SQLite's own and
// the migrations log (which records wall-clock times), every row in a
// content order, every column but password hashes (salted at random by
// libsodium). Two runs that leave the same books have the same digest,
// whichever machine ran them.
#include <string>

namespace broker::sim {

// BLAKE2b-128 (libsodium) of the contents, as 32 hex digits. Opens the file
// read-only; throws std::runtime_error if it cannot.
std::string state_digest(const std::string& sqlite_path);

} // namespace broker::sim
